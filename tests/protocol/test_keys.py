"""The model's dataclasses state the file format: the schema and the build come from them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from mmntrial.protocol import model
from mmntrial.protocol.keys import build, key, table_fields
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.schema import ROOT
from mmntrial.protocol.serialize import protocol_to_dict
from mmntrial.protocol.spec import Kind, integer, text


def _models() -> list[type]:
    return [
        cls
        for cls in vars(model).values()
        if isinstance(cls, type)
        and dataclasses.is_dataclass(cls)
        and cls.__module__ == model.__name__
    ]


@pytest.mark.parametrize("cls", _models(), ids=lambda cls: cls.__name__)
def test_every_model_field_is_a_key_of_the_file(cls: type) -> None:
    undeclared = [f.name for f in dataclasses.fields(cls) if f.name not in table_fields(cls)]
    assert undeclared == (["origin"] if cls is model.Protocol else [])


def test_the_root_holds_the_head_table_then_every_section() -> None:
    sections = [f.name for f in dataclasses.fields(model.Protocol) if f.name != "origin"]
    assert list(ROOT.fields) == ["protocol", *sections[len(model.HEAD_FIELDS) :]]
    assert list(ROOT.fields["protocol"].fields) == list(model.HEAD_FIELDS)


def test_plain_keys_come_before_tables_as_in_a_toml_file() -> None:
    assert list(ROOT.fields["arms"].fields) == ["name", "label", "drug", "ratio", "regimen"]
    assert list(ROOT.fields["deterioration"].fields)[-1] == "criteria"


def test_nested_meanings_name_their_context() -> None:
    rescue = ROOT.fields["taper"].fields["rescue"].fields["criteria"].fields["measure"]
    rule = ROOT.fields["deterioration"].fields["criteria"].fields["measure"]
    assert rescue.meaning == "the measure the rescue criterion watches (from the measure catalogue)"
    assert rule.meaning == "the measure the criterion watches (from the measure catalogue)"


def test_an_item_spec_must_match_the_element_type() -> None:
    @dataclass(frozen=True)
    class Wrong:
        days: tuple[int, ...] = key("days", item=text("a day"))

    with pytest.raises(TypeError, match=r"Wrong\.days: got item"):
        table_fields(Wrong)


def test_a_list_item_needs_its_spec() -> None:
    @dataclass(frozen=True)
    class Missing:
        days: tuple[int, ...] = key("days")

    with pytest.raises(TypeError, match=r"Missing\.days"):
        table_fields(Missing)


def test_build_converts_tables_lists_enums_and_named_values() -> None:
    protocol = load_protocol("piepers-2007")
    data = protocol_to_dict(protocol)
    rebuilt = build(model.Protocol, {**data, **data["protocol"]})
    assert rebuilt == protocol
    assert isinstance(rebuilt.taper.mode, model.TaperMode)
    assert isinstance(rebuilt.randomization.method, model.AllocationMethod)


def test_a_declared_default_makes_the_key_optional() -> None:
    @dataclass(frozen=True)
    class Step:
        every_days: int = key("interval", minimum=1, default=1, field_default=1)

    spec = table_fields(Step)["every_days"]
    assert (spec.kind, spec.required, spec.default) == (Kind.INT, False, 1)
    assert spec == integer("interval", minimum=1, default=1, required=False)
