"""The map of Cedar County: Riverton's police districts, the county's sheriff districts, their
streets and landmarks. Coordinates are a plausible box on Colorado's Front Range (around
40.55 N, 105.07 W); the places are invented."""

from __future__ import annotations

from dataclasses import dataclass

from .sampling import pick


@dataclass(frozen=True)
class District:
    name: str
    city: bool  # inside Riverton (Riverton PD) or in the unincorporated county (Sheriff)
    weight: float  # share of the county's crisis calls
    box: tuple[float, float, float, float]  # south, north, west, east
    town: str
    zip_codes: tuple[str, ...]
    streets: tuple[str, ...]
    landmarks: tuple[tuple[str, str], ...] = ()  # (name, street address)


# fmt: off
DISTRICTS: tuple[District, ...] = (
    District(
        "Downtown", True, 0.20, (40.578, 40.596, -105.088, -105.070), "Riverton", ("80521",),
        ("College Ave", "Mason St", "Howes St", "Walnut St", "Linden St", "Jefferson St",
         "Oak St", "Olive St", "Magnolia St", "Remington St", "Matthews St", "Mountain Ave"),
        (("Riverton Transit Center", "250 Maple St"), ("Cedar Park", "300 Oak St"),
         ("Riverton Public Library", "201 Peterson St"),
         ("Harbor House Shelter", "410 Linden St"), ("Old Town Square", "100 Linden St")),
    ),
    District(
        "Old Town North", True, 0.12, (40.590, 40.606, -105.080, -105.055), "Riverton",
        ("80524",),
        ("Vine Dr", "Lemay Ave", "Buckingham St", "Lincoln Ave", "Riverside Ave", "Willow St",
         "Poudre St", "Cherry St", "Maple St", "Laporte Ave"),
        (("Riverside Laundromat", "612 Riverside Ave"), ("Northside Community Center",
         "112 E Willow St"), ("Lincoln Ave Motel", "1020 Lincoln Ave")),
    ),
    District(
        "Northside", True, 0.10, (40.600, 40.625, -105.120, -105.075), "Riverton", ("80524",),
        ("Shields St", "Taft Hill Rd", "Vine Dr", "Laporte Ave", "Impala Dr", "Sunset Ave",
         "Bryan Ave", "Irish Dr", "Cottonwood Dr", "Meadowlark Ave"),
        (("Vine Dr Mobile Home Park", "2400 Vine Dr"),),
    ),
    District(
        "Campus West", True, 0.12, (40.560, 40.585, -105.115, -105.085), "Riverton", ("80521",),
        ("Shields St", "Elizabeth St", "Plum St", "City Park Ave", "Prospect Rd",
         "Constitution Ave", "Orchard Pl", "Lake St", "Pitkin St", "Springfield Dr"),
        (("Cedar State University Student Center", "1101 Center Ave"),
         ("City Park", "1500 W Mulberry St")),
    ),
    District(
        "Midtown", True, 0.14, (40.535, 40.565, -105.090, -105.060), "Riverton", ("80525",),
        ("College Ave", "Drake Rd", "Horsetooth Rd", "Stuart St", "Swallow Rd", "Remington St",
         "Mathews St", "Lemay Ave", "Foothills Pkwy", "Monroe Dr", "Columbia Rd"),
        (("Foothills Mall", "215 E Foothills Pkwy"), ("Riverton Walk-In Clinic",
         "1500 S College Ave"), ("St. Brigid Regional Hospital", "1024 S Lemay Ave")),
    ),
    District(
        "Southside", True, 0.12, (40.505, 40.540, -105.100, -105.040), "Riverton",
        ("80525", "80528"),
        ("Harmony Rd", "Timberline Rd", "Boardwalk Dr", "Oakridge Dr", "Kechter Rd",
         "Ziegler Rd", "Trilby Rd", "Larkspur Dr", "Bluebell Way", "Sagebrush Dr",
         "Juniper Ln", "Kestrel Ln"),
        (("Harmony Park-n-Ride", "4300 Harmony Rd"), ("Southridge Apartments",
         "3800 Timberline Rd")),
    ),
    District(
        "Cedar Falls", False, 0.07, (40.650, 40.760, -105.200, -105.000), "Cedar Falls",
        ("80535",),
        ("County Road 54G", "County Road 17", "Rist Canyon Rd", "Main St", "Cache La Poudre Dr",
         "Bingham Hill Rd", "Overland Trail"),
        (("Cedar Falls Gas & Grocery", "3620 County Road 54G"),),
    ),
    District(
        "Millbrook", False, 0.06, (40.450, 40.600, -104.950, -104.800), "Millbrook",
        ("80550",),
        ("Main St", "County Road 5", "County Road 32", "Eastman Park Dr", "Garden Dr",
         "7th St", "Hollister Lake Rd", "Walnut St"),
        (("Millbrook Truck Stop", "8100 County Road 5"),),
    ),
    District(
        "Pine Ridge", False, 0.05, (40.380, 40.480, -105.150, -105.000), "Pine Ridge",
        ("80513",),
        ("County Road 17", "County Road 14", "Garfield Ave", "1st St", "Ridgeview Dr",
         "Canyon View Rd", "Aspen Ct"),
        (("Pine Ridge Trailhead", "5200 County Road 17"),),
    ),
    District(
        "Bear Creek Canyon", False, 0.02, (40.550, 40.700, -105.400, -105.200), "Bear Creek",
        ("80512",),
        ("Poudre Canyon Hwy", "Stove Prairie Rd", "County Road 27", "Pennock Pass Rd",
         "Buckhorn Rd"),
        (("Bear Creek Campground", "14000 Poudre Canyon Hwy"),),
    ),
)
# fmt: on

CITY_DISTRICTS = tuple(d for d in DISTRICTS if d.city)
COUNTY_DISTRICTS = tuple(d for d in DISTRICTS if not d.city)
SHELTER = ("Harbor House Shelter", "410 Linden St, Riverton, CO 80521")

# Record systems spell the same street differently.
STREET_ABBREVIATIONS = {
    " St": " Street",
    " Ave": " Avenue",
    " Rd": " Road",
    " Dr": " Drive",
    " Ln": " Lane",
    " Ct": " Court",
    " Pkwy": " Parkway",
    " Pl": " Place",
}


@dataclass(frozen=True)
class Place:
    address: str
    latitude: float
    longitude: float
    district: District
    street: str  # the street named in the address
    name: str = ""  # a landmark's name


def point(rng, district: District) -> tuple[float, float]:
    south, north, west, east = district.box
    return round(rng.uniform(south, north), 5), round(rng.uniform(west, east), 5)


def street_address(rng, district: District, street: str | None = None) -> str:
    street = street or pick(rng, district.streets)
    if street.startswith("County Road") or not district.city:
        number = rng.randrange(100, 9900)
    else:
        number = rng.randrange(100, 4800)
    unit = ""
    if district.city and rng.random() < 0.3:
        unit = f" Apt {rng.randrange(1, 40)}{pick(rng, 'ABCD') if rng.random() < 0.3 else ''}"
    return f"{number} {street}{unit}, {district.town}, CO {pick(rng, district.zip_codes)}"


def home(rng, district: District) -> Place:
    latitude, longitude = point(rng, district)
    street = pick(rng, district.streets)
    return Place(street_address(rng, district, street), latitude, longitude, district, street)


def public_place(rng, district: District) -> Place:
    """Where a call outside a home is given: a landmark, a block or an intersection."""
    latitude, longitude = point(rng, district)
    roll = rng.random()
    if district.landmarks and roll < 0.4:
        name, location = pick(rng, district.landmarks)
        street = location.split(" ", 1)[1]
        return Place(
            f"{name}, {location}, {district.town}", latitude, longitude, district, street, name
        )
    if roll < 0.7:
        street, second = rng.sample(district.streets, 2)
        address = f"{street} & {second}, {district.town}"
    else:
        street = pick(rng, district.streets)
        address = f"{rng.randrange(1, 48) * 100} block of {street}, {district.town}"
    return Place(address, latitude, longitude, district, street)


def spelled_out(address: str) -> str:
    """'410 Linden St, ...' -> '410 Linden Street, ...' (the first abbreviation found)."""
    for short, long in STREET_ABBREVIATIONS.items():
        marker = short + ","
        if marker in address:
            return address.replace(marker, long + ",", 1)
        marker = short + " Apt"
        if marker in address:
            return address.replace(marker, long + " Apt", 1)
    return address
