"""The model contract and the pipeline around it: columns, errors, the base class, fitting a
member to a history, the year forecast and its summaries."""
