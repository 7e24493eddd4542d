"""People are shown by name: how ``people.name_of`` writes one."""

from types import SimpleNamespace

from svc_archive_plugin.services.people import name_of


def _user(username: str, first: str = "", last: str = ""):
    return SimpleNamespace(
        first_name=first,
        last_name=last,
        get_username=lambda: username,
    )


def test_a_chinese_name_reads_family_name_first_without_a_space():
    assert name_of(_user("staff_b1", first="小明", last="王")) == "王小明"


def test_a_western_name_reads_given_name_first():
    assert name_of(_user("jdoe", first="Jane", last="Doe")) == "Jane Doe"


def test_the_user_name_only_when_no_name_is_recorded():
    assert name_of(_user("staff_b1", first=" ", last="")) == "staff_b1"


def test_nobody_is_an_empty_name():
    assert name_of(None) == ""
