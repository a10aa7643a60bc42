"""Fixtures: a booted twin per test module, always killed afterwards."""
import json
import os

import pytest

from twin import BUILD, Twin


def boot(tmp_path_factory, **kw):
    t = Twin(str(tmp_path_factory.mktemp("twin")), **kw)
    try:
        t.expect(r"tock\$ ", timeout=60)
    except BaseException:
        t.close()
        raise
    return t


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """A twin on QEMU user networking, with the board's ports forwarded."""
    t = boot(tmp_path_factory)
    try:
        yield t
    finally:
        t.close()


@pytest.fixture(scope="module")
def tap_twin(tmp_path_factory):
    """A twin on a tap link inside a network namespace of its own."""
    t = boot(tmp_path_factory, net="tap")
    try:
        yield t
    finally:
        t.close()


@pytest.fixture(scope="session")
def layout():
    with open(os.path.join(BUILD, "layout.json")) as fh:
        return json.load(fh)
