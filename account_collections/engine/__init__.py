"""The collections engine (model ``collection.engine``): what one run does, one file per step.

Context keys the engine still reads: none yet listed (see each step).
"""

from . import collection_engine
