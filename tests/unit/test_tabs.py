"""The register's header rows: every tab's column order holds exactly its system and coordinator columns."""

from hsb_sheets.bootstrap import load_form
from hsb_sheets.domain.layout import register_layout
from hsb_sheets.domain.tabs import INTERVENTIONS, MEETINGS, all_tab_specs
from hsb_sheets.resources import shipped
from hsb_sheets.services.rule_source import read_rule_csv


def test_headers_hold_each_column_once() -> None:
    header, _ = read_rule_csv(shipped("config/routing_rules.csv"))
    for spec in all_tab_specs(load_form(), tuple(header)):
        assert len(set(spec.header)) == len(spec.header), spec.name
        assert set(spec.header) == set(spec.system + spec.coordinator), spec.name


def test_coordinators_see_the_columns_they_fill_first() -> None:
    header, _ = read_rule_csv(shipped("config/routing_rules.csv"))
    specs = {s.name: s for s in all_tab_specs(load_form(), tuple(header))}
    assert specs[INTERVENTIONS].header[:2] == ("Case ID", "Intervention")
    assert specs[MEETINGS].header[:4] == ("Case ID", "Meeting", "Type", "Status")


def test_every_dropdown_and_highlight_names_a_real_column() -> None:
    header, _ = read_rule_csv(shipped("config/routing_rules.csv"))
    specs = {s.name: s for s in all_tab_specs(load_form(), tuple(header))}
    layout = register_layout(load_form(), tuple(specs.values()))
    places = [(d.tab, d.column) for d in layout.dropdowns] + [(h.tab, h.column) for h in layout.highlights]
    for tab, column in places:
        assert column in specs[tab].header, (tab, column)
