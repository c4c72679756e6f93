"""Modules Piccolo imports at start-up but a running shop never uses.

``piccolo.conf.apps`` — imported by every Piccolo app config, so by every
process that knows the schema — imports ``black``, the code formatter, at module
level, yet calls it only to format a migration file it writes. Loading it costs
each web worker and job worker about 5.6 MB (docs/performance.md).
:func:`defer_import` puts a stand-in in ``sys.modules`` that imports the real
module the first time any attribute of it is read, so the commands that do write
migration files still get the real formatter.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types


class DeferredModule(types.ModuleType):
    """Stands in for a module until one of its attributes is read."""

    def __getattr__(self, attribute: str):
        return getattr(load(self.__name__), attribute)


def load(name: str) -> types.ModuleType:
    """The real module ``name``, imported now if only its stand-in was."""
    if isinstance(sys.modules.get(name), DeferredModule):
        del sys.modules[name]
    return importlib.import_module(name)


def defer_import(name: str) -> None:
    """Make ``import name`` bind a :class:`DeferredModule` unless the module is
    already imported or not installed (then importing it fails as it would)."""
    if name not in sys.modules and importlib.util.find_spec(name) is not None:
        sys.modules[name] = DeferredModule(name)
