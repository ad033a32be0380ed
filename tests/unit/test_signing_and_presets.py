"""Signed URLs and named presets: signatures that round-trip and survive a key rotation,
tampering refused, presets that name the same result as their spelled-out twin, and
settings errors that name the preset or the key at fault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.errors import InvalidRequest
from domain.image_urls import ImageUrls
from domain.negotiation import AcceptedFormats
from domain.presets import PresetError, Presets
from domain.rate_limit import UNKNOWN_TENANT, RequestKind
from domain.request import ResultKey
from domain.route import parse_image_path
from domain.signing import SignaturePolicy, SignatureRefused, UrlSigner
from entrypoints.cli.main import main
from entrypoints.http.request_kinds import classify
from entrypoints.settings import Settings, SettingsError, load_settings, redacted

OLD_KEY = "old-key-0123456789abcdef"
NEW_KEY = "new-key-fedcba9876543210"
PATH = "/media_stream-image/media/acme/uploads/a%20b.jpg/300/300/cover/center/transparent/0/80.webp"
THUMB = "300/300/cover/attention/transparent/0/80.webp"


def test_a_signature_round_trips_and_is_base64url() -> None:
    signer = UrlSigner((NEW_KEY,))

    signature = signer.sign(PATH)

    assert signer.verifies(PATH, signature)
    assert len(signature) == 43  # 32 bytes, unpadded
    assert set(signature) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert signer.signed(PATH) == f"{PATH}?s={signature}"


def test_a_rotated_key_keeps_old_urls_working_and_signs_with_the_new_one() -> None:
    before = UrlSigner((OLD_KEY,))
    during = UrlSigner((NEW_KEY, OLD_KEY))
    after = UrlSigner((NEW_KEY,))
    published = before.sign(PATH)

    assert during.verifies(PATH, published)
    assert during.sign(PATH) == after.sign(PATH) != published
    assert not after.verifies(PATH, published)


@pytest.mark.parametrize(
    "other_path",
    [
        PATH.replace("300/300", "3000/300"),
        PATH.replace("acme", "acmf"),
        PATH.replace("%20", " "),  # the signature covers the path as sent
        PATH + "/",
    ],
)
def test_a_tampered_path_is_refused(other_path: str) -> None:
    signer = UrlSigner((NEW_KEY, OLD_KEY))

    assert not signer.verifies(other_path, signer.sign(PATH))


def test_a_tampered_or_foreign_signature_is_refused() -> None:
    signer = UrlSigner((NEW_KEY,))
    good = signer.sign(PATH)
    flipped = ("B" if good[0] == "A" else "A") + good[1:]

    for bad in (flipped, good[:-1], good + "A", "", "é" * 43, UrlSigner((OLD_KEY,)).sign(PATH)):
        assert not signer.verifies(PATH, bad)


def test_the_policy_demands_checks_or_ignores_signatures() -> None:
    signer = UrlSigner((NEW_KEY,))
    required = SignaturePolicy(signer, required=True)
    optional = SignaturePolicy(signer)
    keyless = SignaturePolicy()

    required.check(PATH, signer.sign(PATH))
    optional.check(PATH, None)
    keyless.check(PATH, "anything")  # without keys an `s` parameter means nothing
    with pytest.raises(SignatureRefused, match="must be signed") as unsigned:
        required.check(PATH, None)
    with pytest.raises(SignatureRefused, match="does not match"):
        optional.check(PATH, "wrong")
    assert (unsigned.value.status, unsigned.value.code) == (403, "INVALID_SIGNATURE")
    with pytest.raises(ValueError, match="without a signing key"):
        SignaturePolicy(None, required=True)
    with pytest.raises(ValueError, match="key 2 is shorter"):
        UrlSigner((NEW_KEY, "short"))


def test_a_preset_url_is_the_same_request_and_result_key_as_its_twin() -> None:
    presets = Presets.parse({"thumb": THUMB})
    preset = presets.request_of("/media_stream-image/preset/thumb/media/acme/uploads/a%20b.jpg")
    spelled = parse_image_path(f"/media_stream-image/media/acme/uploads/a b.jpg/{THUMB}")
    accepted = AcceptedFormats.from_header("image/webp")

    assert preset == spelled
    assert ResultKey.of(preset.source, preset.spec_for(accepted)) == ResultKey.of(
        spelled.source, spelled.spec_for(accepted)
    )
    static = presets.request_of("/media_stream-image/preset/thumb/static/images/logo.png")
    assert static.source.tenant == "public"


def test_unknown_presets_and_bad_sources_are_refused() -> None:
    presets = Presets.parse({"thumb": THUMB})

    with pytest.raises(InvalidRequest) as unknown:
        presets.request_of("/media_stream-image/preset/large/media/acme/uploads/a.jpg")
    with pytest.raises(InvalidRequest) as bad_tenant:
        presets.request_of("/media_stream-image/preset/thumb/media/ACME/uploads/a.jpg")
    with pytest.raises(InvalidRequest) as traversal:
        presets.request_of("/media_stream-image/preset/thumb/media/acme/uploads/../x.jpg")

    assert (unknown.value.status, unknown.value.code) == (404, "PRESET_NOT_FOUND")
    assert "'large'" in unknown.value.message
    assert bad_tenant.value.status == 400
    assert traversal.value.status == 400


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"thumb": "300/300/squash/center/transparent/0/80.webp"}, "preset 'thumb': fit"),
        ({"card": "300/300/cover/center/transparent/0"}, "preset 'card': "),
        ({"hero": "300/300/cover/center/nocolour/0/80.webp"}, "preset 'hero': "),
        ({"big": "8000/8000/cover/center/transparent/0/80.webp"}, "preset 'big': "),
        ({"q": "300/300/cover/center/transparent/0/0.webp"}, "preset 'q': quality"),
        ({"x": 300}, "preset 'x': the options must be a string"),
        ({"no/slash": THUMB}, "preset name 'no/slash'"),
    ],
)
def test_a_bad_preset_is_named(mapping: dict[str, object], message: str) -> None:
    with pytest.raises(PresetError, match=message.replace("(", r"\(")):
        Presets.parse({"fine": THUMB, **mapping})


def test_presets_only_refuses_spelled_out_urls() -> None:
    urls = ImageUrls(presets=Presets.parse({"thumb": THUMB}), presets_only=True)

    urls.request_of("/media_stream-image/preset/thumb/media/acme/uploads/a.jpg")
    with pytest.raises(InvalidRequest) as refused:
        urls.request_of(f"/media_stream-image/media/acme/uploads/a.jpg/{THUMB}")
    with pytest.raises(InvalidRequest) as malformed:
        urls.request_of("/media_stream-image/media/acme/uploads/a.jpg/300/300")

    assert (refused.value.status, refused.value.code) == (403, "PRESETS_ONLY")
    assert malformed.value.status == 404  # still a route error first


def test_a_signature_is_checked_before_the_path_is_read() -> None:
    signer = UrlSigner((NEW_KEY,))
    urls = ImageUrls(signatures=SignaturePolicy(signer, required=True))
    nonsense = "/media_stream-image/whatever"

    with pytest.raises(SignatureRefused):
        urls.request_of(nonsense, None)
    with pytest.raises(InvalidRequest) as parsed:
        urls.request_of(nonsense, signer.sign(nonsense))
    assert urls.request_of(PATH, signer.sign(PATH)).quality == 80
    assert parsed.value.status == 404


# -- settings -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "absent.env"))
    for name in ("URL_SIGNING_KEYS", "URL_SIGNING_REQUIRED", "IMAGE_PRESETS", "PRESETS_ONLY"):
        monkeypatch.delenv(name, raising=False)


def test_the_features_are_off_by_default() -> None:
    settings = Settings()

    assert settings.IMAGE_INFO_ENABLED is False
    assert settings.URL_SIGNING_KEYS == ()
    assert (settings.URL_SIGNING_REQUIRED, settings.PRESETS_ONLY) == (False, False)
    assert settings.IMAGE_PRESETS == ""


def test_a_bad_preset_in_the_environment_is_a_settings_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMAGE_PRESETS", json.dumps({"thumb": THUMB, "hero": "1/2/3"}))

    with pytest.raises(SettingsError, match=r"IMAGE_PRESETS: .*preset 'hero'"):
        load_settings()


def test_presets_are_read_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    file = tmp_path / "presets.json"
    file.write_text(json.dumps({"thumb": THUMB}))
    monkeypatch.setenv("IMAGE_PRESETS", str(file))
    monkeypatch.setenv("PRESETS_ONLY", "true")

    settings = load_settings()

    assert settings.PRESETS_ONLY is True
    monkeypatch.setenv("IMAGE_PRESETS", str(tmp_path / "missing.json"))
    with pytest.raises(SettingsError, match=r"IMAGE_PRESETS: .*cannot read the presets file"):
        load_settings()
    monkeypatch.setenv("IMAGE_PRESETS", "{not json")
    with pytest.raises(SettingsError, match=r"IMAGE_PRESETS: .*not valid JSON"):
        load_settings()


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"PRESETS_ONLY": "true"}, "PRESETS_ONLY=true needs at least one preset"),
        ({"URL_SIGNING_REQUIRED": "true"}, "URL_SIGNING_REQUIRED=true needs URL_SIGNING_KEYS"),
        ({"URL_SIGNING_KEYS": f"{NEW_KEY},tiny"}, "URL_SIGNING_KEYS: .*key 2 is shorter"),
    ],
)
def test_inconsistent_features_are_settings_errors(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], message: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError, match=message) as refused:
        load_settings()
    assert "tiny" not in str(refused.value)  # a key is never repeated back


def test_signing_keys_are_a_list_and_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URL_SIGNING_KEYS", f" {NEW_KEY} , {OLD_KEY} ")

    settings = load_settings()

    assert settings.URL_SIGNING_KEYS == (NEW_KEY, OLD_KEY)
    assert redacted(settings)["URL_SIGNING_KEYS"] == "********"


def test_the_sign_command_prints_a_url_the_server_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("URL_SIGNING_KEYS", f"{NEW_KEY},{OLD_KEY}")

    assert main(["sign", PATH]) == 0
    printed = capsys.readouterr().out.strip()
    assert main(["sign", "https://img.example" + PATH]) == 0
    whole = capsys.readouterr().out.strip()

    path, _, query = printed.partition("?s=")
    assert path == PATH
    assert UrlSigner((OLD_KEY, NEW_KEY)).verifies(PATH, query)
    assert whole == "https://img.example" + printed


def test_the_sign_command_needs_keys_and_a_bare_path(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sign", PATH]) == 2
    assert "URL_SIGNING_KEYS is not set" in capsys.readouterr().err
    monkeypatch.setenv("URL_SIGNING_KEYS", NEW_KEY)
    assert main(["sign", PATH + "?v=1"]) == 2
    assert main(["sign", "relative/path"]) == 2


@pytest.mark.parametrize(
    ("path", "tenant"),
    [
        ("/media_stream-meta/media/acme/uploads/a.jpg", "acme"),
        ("/media_stream-meta/static/images/logo.png", "public"),
        ("/media_stream-image/preset/thumb/media/acme/uploads/a/b.png", "acme"),
        ("/media_stream-image/preset/thumb/media/NOPE/uploads/a.png", UNKNOWN_TENANT),
    ],
)
def test_info_and_preset_paths_count_as_image_requests_of_their_tenant(
    path: str, tenant: str
) -> None:
    # `.jpg` would otherwise make an info path a static asset, bypassing the limits
    assert classify(path, "GET", path) == (RequestKind.IMAGE, tenant)
