"""Fixtures: a booted twin per test module, always killed afterwards."""
import json
import os

import pytest

from twin import BUILD, Twin


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    t = Twin(str(tmp_path_factory.mktemp("twin")))
    try:
        t.expect(r"tock\$ ", timeout=60)
        yield t
    finally:
        t.close()


@pytest.fixture(scope="session")
def layout():
    with open(os.path.join(BUILD, "layout.json")) as fh:
        return json.load(fh)
