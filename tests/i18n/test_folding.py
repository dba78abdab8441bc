"""Arabic search folding: the same word matches however it was typed."""

from __future__ import annotations

import pytest

from tansiq.i18n.folding import fold


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("مُحَمَّد", "محمد"),  # diacritics
        ("مـــحـمـد", "محمد"),  # tatweel
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهيم"),
        ("آمنة", "امنه"),  # hamza forms, taa marbuta
        ("مدرسة", "مدرسه"),  # taa marbuta / haa
        ("مستشفى", "مستشفي"),  # alef maqsura / yaa
        ("مسؤول", "مسوول"),
        ("طائرة", "طايره"),  # hamza on waw and yaa
        ("شارع ٢٠", "شارع 20"),  # Arabic-Indic digits
        ("Salmiya", "SALMIYA"),
    ],
)
def test_variants_fold_to_the_same_form(typed, stored):
    assert fold(typed) == fold(stored)


def test_presentation_forms_fold_to_base_letters():
    assert fold("ﺣﺮﻳﻖ") == fold("حريق")
