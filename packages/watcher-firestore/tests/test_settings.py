"""firestore:// URIs: the accepted forms and a clear SourceURIError for each malformed one."""

from __future__ import annotations

import pytest
from flow.errors import SourceURIError
from flow_watcher_firestore._settings import DEFAULT_RESYNC, DEFAULT_TIMEOUT, FirestoreSettings
from flow_watcher_firestore.watcher import FirestoreWatcher


def test_document_path_field_database_and_emulator() -> None:
    settings = FirestoreSettings.from_uri(
        "firestore://my-project/apps/web/settings/prod?field=features.beta"
        "&database=staging&emulator=127.0.0.1:8080&timeout=2.5&resync=60"
    )
    assert settings.project == "my-project"
    assert settings.document == "apps/web/settings/prod"
    assert settings.field == "features.beta"
    assert settings.database == "staging"
    assert settings.emulator == "127.0.0.1:8080"
    assert (settings.timeout, settings.resync) == (2.5, 60.0)


def test_defaults_and_percent_encoded_ids() -> None:
    settings = FirestoreSettings.from_uri("firestore://p/c/cl%C3%A9%20x")
    assert settings.document == "c/clé x"
    assert (settings.field, settings.database, settings.emulator) == (None, "(default)", None)
    assert (settings.timeout, settings.resync) == (DEFAULT_TIMEOUT, DEFAULT_RESYNC)


def test_a_quoted_field_path_is_accepted() -> None:
    assert FirestoreSettings.from_uri("firestore://p/c/d?field=`a-b`.c").field == "`a-b`.c"


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("firestore:///c/d", "project id"),
        ("firestore://p", "must name a document"),
        ("firestore://p/c", "must name a document"),
        ("firestore://p/c/d/e", "must name a document"),
        ("firestore://p/c/./d/e", "'.'"),
        ("firestore://p:99/c/d", "emulator=host:port"),
        ("firestore://My_Project/c/d", "project id"),
        ("firestore://p/c/d?emulator=localhost", "host:port"),
        ("firestore://p/c/d?emulator=h:99999", "host:port"),
        ("firestore://p/c/d?database=UPPER", "database id"),
        ("firestore://p/c/d?field=a..b", "field path"),
        ("firestore://p/c/d?collection=x", "unknown option"),
        ("firestore://p/c/d?timeout=0", "positive number of seconds"),
        ("firestore://p/c/d?resync=never", "positive number of seconds"),
        ("redis://p/c/d", "not a firestore"),
    ],
)
def test_malformed_uris_say_what_and_how(uri: str, words: str) -> None:
    with pytest.raises(SourceURIError) as info:
        FirestoreWatcher(uri)
    assert words in str(info.value)
    assert "firestore://" in str(info.value) or "redis://" in str(info.value)


def test_credentials_in_the_uri_are_refused_without_showing_them() -> None:
    with pytest.raises(SourceURIError) as info:
        FirestoreWatcher("firestore://me:hunter2-secret@p/c/d")
    assert "hunter2-secret" not in str(info.value)
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(info.value)
