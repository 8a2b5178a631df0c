"""The template shopper: an attribute-aware relative captioner.

Given the hidden target and a shown candidate it lists the attribute differences, picks
1-3 of them by salience (category and colour first, then shape, texture, part, fabric,
style), phrases them in one of Fashion IQ's modes — direct ("is solid white and has
buttons"), comparative ("has longer sleeves and is lighter in color") or mixed — with the
configured shares (Fashion IQ, Table 2), optionally adds a negation ("with no lace"), and
applies configurable noise (wrong value, omission, irrelevant caption, repetition of an
earlier request, typo). Every request is true of the target unless noise says otherwise,
so wishes never contradict each other across turns.

How it runs: every random choice of a caption comes from a fixed-size row of uniforms
(`layout.U`, drawn from the dialog's own generator), so a caption is a pure function of
(target, shown item, earlier requests, uniforms), alone or in a batch.

    config.py      TemplateConfig: shares and noise rates
    layout.py      named uniform roles, plan columns, clause entries, status codes
    rules.py       the decisions (mode, counts, filler, ...), one code for one or many
    columns.py     difference columns: what a target and a shown item differ on
    phrases.py     the phrase table: numbered phrases, and what each clause says
    mentions.py    structured mentions, and the requests a repeat may restate
    clauses.py     which clauses are said in which order (plain Python, memoised for arrays)
    plan.py        the planner, one caption at a time (the specification)
    plan_array.py  the same planner for a batch, with array operations
    compose.py     Feedback (text, tokens, mentions) from a plan, and word noise
    assemble.py    token ids of a batch from its plans, with array operations
    shopper.py     TemplateShopper / TemplateDialogs: the shopper contract; which path
                   serves which batch size
    single.py      TemplateSimulator: one dialog at a time, for scripts and tests
"""

import importlib

from simulators.template.config import DEFAULT_SALIENCE, MODES, TemplateConfig

__all__ = ["DEFAULT_SALIENCE", "MODES", "N_UNIFORMS", "TemplateConfig", "TemplateDialogs",
           "TemplateShopper", "TemplateSimulator"]

# The shopper itself loads on first use of one of these names, so that the settings
# (`TemplateConfig`, which every `EnvConfig` holds) load no shopper.
_LAZY = {"N_UNIFORMS": "layout", "TemplateDialogs": "shopper", "TemplateShopper": "shopper",
         "TemplateSimulator": "single"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
