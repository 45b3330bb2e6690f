"""English and Simplified Chinese: a complete catalogue, compiled, and used on the pages."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation.template import templatize

from itsm import services
from tests.factories import CustomerFactory, TeamFactory

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$')
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: ESCAPES[match.group(1)], text)


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: their keywords (joined across continuation lines) and flags."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry, key = {"flags": set(), "obsolete": False}, None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#"):
                continue
            elif match := KEYWORD.match(line):
                key = match.group(1)
                entry[key] = unescape(match.group(2))
            else:
                entry[key] += unescape(line.strip()[1:-1])
        entries.append(entry)
    return entries


GETTEXT_FUNCTIONS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy",
                     "npgettext", "npgettext_lazy"}
TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:u?'(?:[^'\\]|\\.)*'(?:,\s*)?)+)")
LITERAL = re.compile(r"u?'(?:[^'\\]|\\.)*'")


def message_key(function: str, strings: list[str]) -> tuple[str, str]:
    """(context, msgid) of a gettext call."""
    return (strings[0], strings[1]) if function.lstrip("n").startswith("pgettext") else ("", strings[0])


def python_messages(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT_FUNCTIONS:
            strings = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            if strings:
                yield message_key(node.func.id, strings)


def template_messages(path: Path):
    for function, arguments in TEMPLATE_CALL.findall(templatize(path.read_text(encoding="utf-8"))):
        yield message_key(function, [ast.literal_eval(literal) for literal in LITERAL.findall(arguments)])


def product_messages() -> dict[tuple[str, str], Path]:
    """Every message of the product's apps (the folders with an apps.py) and templates."""
    base = Path(settings.BASE_DIR)
    found = {}
    for app in (path for path in base.iterdir() if (path / "apps.py").exists()):
        for source in app.rglob("*.py"):
            if "migrations" not in source.parts:
                found.update(dict.fromkeys(python_messages(source), source))
    for template in (base / "templates").rglob("*.html"):
        found.update(dict.fromkeys(template_messages(template), template))
    return found


def translations(entry) -> list[str]:
    return [value for key, value in entry.items() if key.startswith("msgstr")]


@pytest.fixture(scope="module")
def entries():
    header, *rest = read_po(CATALOGUE / "django.po")
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    return rest


def test_the_catalogue_translates_every_message(entries):
    untranslated = [e["msgid"] for e in entries if not all(translations(e))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    obsolete = [e.get("msgid") for e in entries if e["obsolete"]]

    assert len(entries) > 150
    assert not untranslated, f"translate these: {untranslated}"
    assert not fuzzy, f"check these fuzzy translations: {fuzzy}"
    assert not obsolete, f"remove these obsolete entries: {obsolete}"


def test_the_catalogue_has_every_message_of_the_product(entries):
    catalogue = {(entry.get("msgctxt", ""), entry["msgid"]) for entry in entries}

    missing = {key: str(path) for key, path in product_messages().items() if key not in catalogue}

    assert len(catalogue) > 150
    assert not missing, f"run `manage.py makemessages -l zh_Hans ...` and translate: {missing}"


def test_translations_keep_every_placeholder(entries):
    for entry in entries:
        # Chinese has one plural form, which stands for the plural message (it carries the count).
        expected = sorted(PLACEHOLDER.findall(entry.get("msgid_plural", entry["msgid"])))
        for translation in translations(entry):
            assert sorted(PLACEHOLDER.findall(translation)) == expected, entry["msgid"]


def test_the_compiled_catalogue_matches_the_source(entries):
    with open(CATALOGUE / "django.mo", "rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog

    for entry in entries:
        key = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            assert catalog[(key, 0)] == entry["msgstr[0]"], "run manage.py compilemessages"
        else:
            assert catalog[key] == entry["msgstr"], "run manage.py compilemessages"


@pytest.fixture
def chinese_agent(make_user):
    return make_user("agent", username="li", language="zh-hans", time_zone="Asia/Shanghai")


@pytest.mark.django_db
def test_pages_speak_the_persons_language(client, chinese_agent):
    TeamFactory(name="网络组", lead=chinese_agent, members=[chinese_agent])
    client.force_login(chinese_agent)

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert [str(section.group.label if section.group else section.items[0].label)
            for section in response.context["main_menu"]] == ["首页", "服务台", "变更与发布", "配置", "服务级别", "设置"]
    assert "您的团队" in html and "网络组" in html and "服务台坐席" in html
    assert "退出登录" in html and "Sign out" not in html


@pytest.mark.django_db
def test_lists_forms_and_exports_are_translated_too(client, chinese_agent, admin_user):
    CustomerFactory(code="acme", name="Acme")
    client.force_login(chinese_agent)

    listing = client.get(reverse("customer_list")).content.decode()
    export = b"".join(client.get(reverse("customer_list"), {"export": "csv"}).streaming_content).decode()
    tokens = client.post(reverse("tokens"), {"name": "", "days": 30}).content.decode()

    assert "导出 CSV" in listing and "显示第 1 至 1 行，共 1 行" in listing
    assert export.startswith("\ufeff代码,名称,联系邮箱,启用,更新时间")
    assert "该字段是必填项。" in tokens


@pytest.mark.django_db
def test_switching_language_takes_effect_on_the_next_page(client, agent):
    client.force_login(agent)

    client.post(reverse("language_switch"), {"language": "zh-hans", "next": "/"})
    chinese = client.get(reverse("home")).content.decode()
    services.user_preferences_update(actor=agent, user=agent, language="en", time_zone="UTC")
    english = client.get(reverse("home")).content.decode()

    assert "退出登录" in chinese
    assert "Sign out" in english
