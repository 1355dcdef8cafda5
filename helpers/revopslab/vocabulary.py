"""The course's shared vocabulary: stages, steps, segments, channels, languages and the seed.

Every module imports these names from here, so a stage, a segment or a language is
spelled in one place (``revopslab.config``, ``revopslab.simulate``, ``revopslab.process``
and the others re-export what they used to define).

Examples
--------
>>> from revopslab.vocabulary import SEGMENTS, LANGUAGES, DEFAULT_SEED
>>> SEGMENTS, LANGUAGES, DEFAULT_SEED
(('SMB', 'MM', 'ENT'), ('en', 'ja'), 2024)
>>> WATERFALL[-1], OPPORTUNITY_STAGES[0], CLOSED_STAGES
('won', 'discovery', ('closed_won', 'closed_lost'))
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_SEED",
    "LANGUAGES",
    "SEGMENTS",
    "CHANNELS",
    "MOTIONS",
    "STAGES",
    "WATERFALL",
    "CONVERSION_STEPS",
    "OPPORTUNITY_STAGES",
    "CLOSED_STAGES",
]

#: The seed of the curriculum's default company and of every chapter notebook.
DEFAULT_SEED: int = 2024

#: Languages of the course's text, charts, data dictionary and report.
LANGUAGES: tuple[str, ...] = ("en", "ja")

#: Customer segments, smallest accounts first.
SEGMENTS: tuple[str, ...] = ("SMB", "MM", "ENT")

#: Lead channels, and the three motions they belong to (SiriusDecisions' rearchitected
#: waterfall: inbound, teleprospecting-generated, sales-generated).
CHANNELS: tuple[str, ...] = (
    "web", "ads", "events", "referral", "product", "teleprospecting", "field_prospecting",
)
MOTIONS: tuple[str, ...] = ("inbound", "outbound", "sales")

#: Stages of the demand waterfall a lead can reach, in order. Inbound leads go
#: inquiry → AQL → TAL → TQL → SAL; teleprospecting generates TGLs that go to SAL; field
#: sales generate SGLs. The article counts SQL = SAL + SGL; the simulator keeps a
#: qualification check between them (an SQL is a SAL or SGL sales qualified), and SQLs
#: become opportunities. The AQL plays the MQL of the classic
#: waterfall.
STAGES: tuple[str, ...] = (
    "inquiry", "aql", "tal", "tql", "tgl", "sal", "sgl", "sql", "opportunity",
)
#: The waterfall's stages followed by ``won`` (the deal closed won); a stage ``s`` is read
#: from the timestamp column ``f"{s}_at"``.
WATERFALL: tuple[str, ...] = (*STAGES, "won")

#: The waterfall's conversion steps that a multiplier can move ("the 1% rule").
CONVERSION_STEPS: tuple[str, ...] = (
    "inquiry_to_aql", "aql_to_tal", "tal_to_tql", "tql_to_sal",
    "inquiry_to_tgl", "tgl_to_sal", "inquiry_to_sgl",
    "sal_to_sql", "sgl_to_sql", "sql_to_opportunity", "opportunity_to_won",
)

#: Open stages of an opportunity, in order, and the two closed ones.
OPPORTUNITY_STAGES: tuple[str, ...] = ("discovery", "demo", "proposal", "negotiation")
CLOSED_STAGES: tuple[str, ...] = ("closed_won", "closed_lost")
