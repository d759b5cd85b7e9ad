"""Settings: defaults < file < environment < explicit; every setting documented; bad values refused."""

from __future__ import annotations

from dataclasses import fields

import pytest

from coopgraph.config import DOCS, Settings, load_settings
from coopgraph.errors import ConfigError


def test_precedence(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('query_timeout = 5\nmax_result_rows = 7\nservice_allowlist = ["https://a.example/sparql"]\n')
    settings = load_settings(config, environ={"COOPGRAPH_QUERY_TIMEOUT": "2.5"}, max_result_rows=9)
    assert settings.query_timeout == 2.5 and settings.max_result_rows == 9
    assert settings.service_allowlist == ("https://a.example/sparql",)
    assert load_settings(environ={}).query_timeout == Settings().query_timeout == 10.0


def test_tokens_from_the_environment_as_json():
    settings = load_settings(environ={"COOPGRAPH_CONTRIBUTOR_TOKENS": '{"t0k3n": "Ada"}'})
    assert settings.contributor_tokens == {"t0k3n": "Ada"}


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"COOPGRAPH_QUERY_TIMEOUT": "soon"}, "query_timeout"),
        ({"COOPGRAPH_CONTRIBUTOR_TOKENS": "[1, 2]"}, "contributor_tokens"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


def test_unknown_setting_in_a_file_is_refused(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings(config, environ={})


def test_every_setting_is_documented():
    assert {f.name for f in fields(Settings)} == set(DOCS)


def test_base_iri_drives_every_minted_iri():
    settings = load_settings(environ={}, base_iri="https://coop.example.org/")
    assert settings.iris.id_base == "https://coop.example.org/id/"
    assert settings.iris.inferred_graph == "https://coop.example.org/graph/inferred"
    assert settings.iris.rewrite("https://w3id.org/coopgraph/id/city/x") == "https://coop.example.org/id/city/x"


def test_relative_paths_in_the_settings_file_are_relative_to_the_file(tmp_path, monkeypatch):
    """Issue 17: one meaning for a relative path, however the server is started."""
    folder = tmp_path / "site"
    folder.mkdir()
    config = folder / "coopgraph.toml"
    config.write_text('releases_dir = "out/releases"\nstore = "var/store"\nroot = "."\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(config, environ={})
    assert settings.releases_dir == folder / "out" / "releases"
    assert settings.store == str(folder / "var" / "store")
    assert settings.root == folder


def test_relative_paths_elsewhere_are_relative_to_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).releases_dir == tmp_path / "var" / "releases"
    settings = load_settings(environ={"COOPGRAPH_RELEASES_DIR": "r", "COOPGRAPH_STORE": "s"})
    assert (settings.releases_dir, settings.store) == (tmp_path / "r", str(tmp_path / "s"))
    assert load_settings(environ={}, store="cli-store").store == str(tmp_path / "cli-store")
    assert settings.with_overrides(store="other").store == str(tmp_path / "other")


@pytest.mark.parametrize("store", ["memory", ":memory:", "sparql+http://127.0.0.1:8890/sparql"])
def test_stores_that_are_not_folders_are_left_as_given(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}, store=store).store == store
