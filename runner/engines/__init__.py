"""Engines: a journey spec in, StepResults out. Engines never print and never write reports."""

from __future__ import annotations
