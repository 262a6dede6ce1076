"""Column names and units of the production contract (docs/conventions.md): one home.

A production history has a monthly ``month`` index, the target ``gold_oz`` (troy ounces)
and optional columns in tonnes (ore), g/t (head grade), percent (recovery) and t/day
(capacity).
"""

from __future__ import annotations

#: the target: gold produced in the month, troy ounces
TARGET = "gold_oz"
#: the index of a production frame (and the month column of a production file)
MONTH = "month"
#: ore tonnes that exogenous models read (purchased from the miners, processed at the plant)
EXOG_COLUMNS = ("ore_purchased_t", "ore_processed_t")
#: optional contract columns of a production file, in contract order
OPTIONAL_COLUMNS = (*EXOG_COLUMNS, "head_grade_gpt", "recovery_pct", "capacity_tpd")
#: every numeric contract column
NUMERIC_COLUMNS = (TARGET, *OPTIONAL_COLUMNS)
#: grams in one troy ounce: oz = tonnes x g/t / GRAMS_PER_TROY_OZ
GRAMS_PER_TROY_OZ = 31.1035
