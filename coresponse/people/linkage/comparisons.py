"""The comparisons of the linkage model, declared once for Splink and for Python.

Every comparison level has a SQL form (a Splink comparison-level creator, which Splink renders
for DuckDB or Spark) and a Python predicate over two linkage records (coresponse.people.linkage
.records), which the lookup-time matcher and the incremental linker use. Both are built from the
same few primitives here (equal, Damerau-Levenshtein, Jaro-Winkler, arrays sharing a value), and
a test checks on real pairs that Splink and Python put every pair in the same level.

The default m and u probabilities are only where expectation maximisation starts (and what an
untrained deployment scores with); `coresponse link` estimates them from the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import jellyfish

Record = dict  # a linkage record: column -> value (None when missing)


@dataclass(frozen=True)
class Level:
    label: str  # shown to reviewers: "nickname (Bob ~ Robert)" is phrased from this
    sql: Callable[[], object]  # -> a splink ComparisonLevelCreator (built lazily)
    test: Callable[[Record, Record], bool]
    m: float  # default m probability (a match is in this level)
    u: float  # default u probability (a non-match is in this level)
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    name: str  # output column name in Splink: gamma_<name>
    title: str  # "First name"
    columns: tuple[str, ...]  # the record columns it reads; absent columns drop it
    levels: tuple[Level, ...]  # the null level first, the else level last
    null: Callable[[Record, Record], bool] = field(default=lambda left, right: False)
    # The arguments of records.record its levels read: nothing else of a record changes them
    # (the lookup compares records alike in them once; a test checks it).
    inputs: tuple[str, ...] = ()

    def level(self, left: Record, right: Record) -> int:
        """The index of the level the pair falls in (0 is the null level)."""
        if self.null(left, right):
            return 0
        for index, level in enumerate(self.levels[1:-1], start=1):
            if level.test(left, right):
                return index
        return len(self.levels) - 1

    def splink(self, parameters: list[dict] | None = None):
        """This comparison as a Splink CustomComparison, with fixed m/u when given."""
        import splink.comparison_library as cl

        creators = []
        for index, level in enumerate(self.levels):
            creator = level.sql()
            options = {"label_for_charts": level.label}
            if index and parameters is not None:
                options["m_probability"] = parameters[index]["m"]
                options["u_probability"] = parameters[index]["u"]
            creators.append(creator.configure(**options))
        return cl.CustomComparison(
            comparison_levels=creators,
            output_column_name=self.name,
            comparison_description=self.title,
        )


# --- primitives: each gives the SQL creator and the Python test of one condition ---------------


def _both(left: Record, right: Record, column: str):
    a, b = left.get(column), right.get(column)
    return (a, b) if a is not None and b is not None else None


def null_level(title: str, *columns: str) -> Level:
    def sql():
        import splink.comparison_level_library as cll

        levels = [cll.NullLevel(c) for c in columns]
        return levels[0] if len(levels) == 1 else cll.Or(*levels).configure(is_null_level=True)

    return Level(f"{title} missing", sql, lambda left, right: False, 1.0, 1.0, columns)


def else_level(label: str, m: float, u: float) -> Level:
    def sql():
        import splink.comparison_level_library as cll

        return cll.ElseLevel()

    return Level(label, sql, lambda left, right: True, m, u)


def equal(column: str):
    def sql():
        import splink.comparison_level_library as cll

        return cll.ExactMatchLevel(column)

    def test(left, right):
        pair = _both(left, right, column)
        return pair is not None and pair[0] == pair[1]

    return sql, test


def edits(column: str, at_most: int):
    """Damerau-Levenshtein distance (a transposition is one edit) at most `at_most`."""

    def sql():
        import splink.comparison_level_library as cll

        return cll.DamerauLevenshteinLevel(column, at_most)

    def test(left, right):
        pair = _both(left, right, column)
        return pair is not None and jellyfish.damerau_levenshtein_distance(*pair) <= at_most

    return sql, test


def similar(column: str, at_least: float):
    """Jaro-Winkler similarity at least `at_least`."""

    def sql():
        import splink.comparison_level_library as cll

        return cll.JaroWinklerLevel(column, at_least)

    def test(left, right):
        pair = _both(left, right, column)
        return pair is not None and jellyfish.jaro_winkler_similarity(*pair) >= at_least

    return sql, test


def share(column: str):
    """Two lists with a value in common (the formal names two given names stand for)."""

    def sql():
        import splink.comparison_level_library as cll

        return cll.ArrayIntersectLevel(column, 1)

    def test(left, right):
        pair = _both(left, right, column)
        return pair is not None and not set(pair[0]).isdisjoint(pair[1])

    return sql, test


def crossed(left_column: str, right_column: str):
    """One record's `left_column` equals the other's `right_column` (either way round)."""

    def sql():
        import splink.comparison_level_library as cll

        return cll.CustomLevel(
            f"({left_column}_l = {right_column}_r OR {right_column}_l = {left_column}_r)"
        )

    def test(left, right):
        a, b = left.get(left_column), right.get(right_column)
        c, d = left.get(right_column), right.get(left_column)
        return (a is not None and a == b) or (c is not None and c == d)

    return sql, test


def initial(column: str):
    """One value is a single letter, the other starts with it ("R" and "Robert")."""

    def sql():
        import splink.comparison_level_library as cll

        return cll.CustomLevel(
            f"(length({column}_l) = 1 OR length({column}_r) = 1) "
            f"AND substr({column}_l, 1, 1) = substr({column}_r, 1, 1)"
        )

    def test(left, right):
        pair = _both(left, right, column)
        if pair is None:
            return False
        a, b = pair
        return (len(a) == 1 or len(b) == 1) and a[:1] == b[:1]

    return sql, test


def near_year(year_column: str, day_column: str):
    """Same day of the year, years one apart (an age recorded instead of a birth date)."""

    def sql():
        import splink.comparison_level_library as cll

        return cll.CustomLevel(
            f"{day_column}_l = {day_column}_r AND abs({year_column}_l - {year_column}_r) = 1"
        )

    def test(left, right):
        years, days = _both(left, right, year_column), _both(left, right, day_column)
        return (
            years is not None
            and days is not None
            and days[0] == days[1]
            and (abs(years[0] - years[1]) == 1)
        )

    return sql, test


def all_of(*conditions):
    def sql():
        import splink.comparison_level_library as cll

        return cll.And(*(condition[0]() for condition in conditions))

    def test(left, right):
        return all(condition[1](left, right) for condition in conditions)

    return sql, test


def level(label: str, condition, m: float, u: float) -> Level:
    sql, test = condition
    return Level(label, sql, test, m, u)


def _missing(*columns: str):
    def test(left, right):
        return any(left.get(c) is None or right.get(c) is None for c in columns)

    return test


# --- the comparisons ----------------------------------------------------------------------------

FIRST_NAME = Comparison(
    "first_name",
    "First name",
    ("first", "first_formals"),
    (
        null_level("First name", "first"),
        level("same first name", equal("first"), 0.80, 0.010),
        level("nickname of the same name", share("first_formals"), 0.06, 0.002),
        level("first name one typing slip apart", edits("first", 1), 0.05, 0.002),
        level("similar first name", similar("first", 0.88), 0.03, 0.010),
        level("first name given only as an initial", initial("first"), 0.01, 0.003),
        level("first and last names swapped", crossed("first", "last"), 0.01, 0.0001),
        else_level("different first names", 0.04, 0.973),
    ),
    _missing("first"),
    ("first_name", "last_name"),
)

LAST_NAME = Comparison(
    "last_name",
    "Last name",
    ("last", "last_part"),
    (
        null_level("Last name", "last"),
        level("same last name", equal("last"), 0.85, 0.005),
        level("same first part of a compound last name", equal("last_part"), 0.03, 0.001),
        level("last name one typing slip apart", edits("last", 1), 0.05, 0.001),
        level("similar last name", similar("last", 0.90), 0.03, 0.008),
        level("first and last names swapped", crossed("last", "first"), 0.01, 0.0001),
        else_level("different last names", 0.03, 0.9849),
    ),
    _missing("last"),
    ("first_name", "last_name"),
)

BIRTH_DATE = Comparison(
    "dob",
    "Date of birth",
    ("dob", "dob_swapped", "dob_year", "dob_md"),
    (
        null_level("Date of birth", "dob"),
        level("same date of birth", equal("dob"), 0.85, 0.0001),
        level("day and month swapped", crossed("dob", "dob_swapped"), 0.03, 0.00001),
        level("dates of birth one digit apart", edits("dob", 1), 0.07, 0.003),
        level("same birthday, a year apart", near_year("dob_year", "dob_md"), 0.02, 0.0003),
        level("same year of birth", equal("dob_year"), 0.01, 0.02),
        else_level("different dates of birth", 0.02, 0.97669),
    ),
    _missing("dob"),
    ("dob",),
)

SEX = Comparison(
    "sex",
    "Sex",
    ("sex",),
    (
        null_level("Sex", "sex"),
        level("same sex", equal("sex"), 0.97, 0.5),
        else_level("different sex", 0.03, 0.5),
    ),
    _missing("sex"),
    ("sex",),
)

PHONE = Comparison(
    "phone",
    "Phone",
    ("phone", "phone7"),
    (
        null_level("Phone", "phone"),
        level("same phone number", equal("phone"), 0.70, 0.0005),
        level("same local number, other area code", equal("phone7"), 0.05, 0.0001),
        level("phone numbers one digit or swap apart", edits("phone", 1), 0.03, 0.0005),
        else_level("different phone numbers", 0.22, 0.999),
    ),
    _missing("phone"),
    ("phone",),
)

ADDRESS = Comparison(
    "address",
    "Street address",
    ("house", "street"),
    (
        null_level("Street address", "street"),
        level("same street address", all_of(equal("house"), equal("street")), 0.55, 0.0005),
        level(
            "same house number, street spelled alike",
            all_of(equal("house"), similar("street", 0.88)),
            0.10,
            0.0005,
        ),
        level("same street, other house number", equal("street"), 0.10, 0.01),
        level("similar street name", similar("street", 0.88), 0.05, 0.03),
        else_level("different addresses", 0.20, 0.959),
    ),
    _missing("street"),
    ("address",),
)

POSTCODE = Comparison(
    "postcode",
    "Postcode",
    ("postcode",),
    (
        null_level("Postcode", "postcode"),
        level("same postcode", equal("postcode"), 0.75, 0.05),
        level("postcodes one digit apart", edits("postcode", 1), 0.10, 0.10),
        else_level("different postcodes", 0.15, 0.85),
    ),
    _missing("postcode"),
    ("address",),
)

LOCALITY = Comparison(
    "locality",
    "Town",
    ("locality",),
    (
        null_level("Town", "locality"),
        level("same town", equal("locality"), 0.80, 0.1),
        level("town spelled alike", similar("locality", 0.88), 0.08, 0.02),
        else_level("different towns", 0.12, 0.88),
    ),
    _missing("locality"),
    ("address",),
)

IDENTIFIER = Comparison(
    "identifier",
    "Identifier",
    ("identifier",),
    (
        null_level("Identifier", "identifier"),
        level("same identifier", equal("identifier"), 0.85, 0.00001),
        level("identifiers one digit or swap apart", edits("identifier", 1), 0.10, 0.0001),
        else_level("different identifiers", 0.05, 0.99989),
    ),
    _missing("identifier"),
    ("identifier",),
)

COMPARISONS: tuple[Comparison, ...] = (
    FIRST_NAME,
    LAST_NAME,
    BIRTH_DATE,
    SEX,
    PHONE,
    ADDRESS,
    POSTCODE,
    LOCALITY,
    IDENTIFIER,
)
BY_NAME = {comparison.name: comparison for comparison in COMPARISONS}

# Pairs the model scores at all: any record agreeing with another on one of these column sets.
# The same keys are stored on Person, so a record saved later finds every candidate the batch
# run would have compared it with (coresponse.people.matching.key_queries; a test checks it).
# A column written "a=b" compares one record's a with the other's b: the two rules with them find
# records whose first and last names were entered the wrong way round.
BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    # Both name codes alone pair namesakes by the million: on the seed's million records they
    # made 52 of 68 million candidate pairs, and not one true pair only they found scored up
    # to the review threshold. With the year of birth, the day and month, or the street, they
    # keep the pairs whose birth date slipped in one part, or is missing but the street agrees.
    ("first_key", "last_key", "dob_year"),
    ("first_key", "last_key", "dob_md"),
    ("first_key", "last_key", "street"),
    ("dob_key", "last_key"),
    ("dob_key", "first_key"),
    # A phone or an address alone is shared by a household, a shelter, a group home or an
    # agency's own desk: at a million records they alone would pair hundreds of millions of
    # records (measured on the seed: 83% of all candidate pairs came from the address). With
    # either name code they keep the pairs whose other name or birth date slipped.
    ("phone", "last_key"),
    ("phone", "first_key"),
    ("address_key", "last_key"),
    ("address_key", "first_key"),
    # Both names mistyped, swapped or left blank: the birth date with a part of the address.
    # A birth date is shared by a few dozen records of a million; with a postcode or a house
    # number, almost only by the same human.
    ("dob_key", "postcode"),
    ("dob_key", "house"),
    ("identifier",),
    ("identifier_digits",),
    ("identifier_head",),
    ("identifier_tail",),
    ("first_key=swap_first_key", "last_key=swap_last_key"),
    ("swap_first_key=first_key", "swap_last_key=last_key"),
)


def rule_columns(rule: tuple[str, ...]) -> set[str]:
    """The record columns a blocking rule reads."""
    return {name for part in rule for name in part.split("=")}
