"""Fixtures for the deals: the web fixtures (people, crm, acme_mail, login) and the default pipeline."""

from __future__ import annotations

import pytest

from keyou.deals.models import Pipeline, Stage
from keyou.deals.pipelines import pipeline_default_install
from tests.web.conftest import acme_mail, crm, login, people  # noqa: F401


class StageBook:
    """The default pipeline, its stages by English name: `pipeline.stage("Quoted")`."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def stage(self, name: str) -> Stage:
        return self.pipeline.stages.get(name=name)


@pytest.fixture
def pipeline(db) -> StageBook:
    return StageBook(pipeline_default_install())
