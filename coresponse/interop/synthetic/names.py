"""Names for the synthetic county, and the small errors agencies make when they record them.

The lists are common US given names and surnames of the groups a Northern Colorado county serves
(Hispanic surnames include the Hispano names of the San Luis Valley and northern New Mexico;
Native surnames are Navajo, Lakota and Ute family names common in the region). They are plain
common names, not drawn from any real data set about people.
"""

from __future__ import annotations

import unicodedata

from .sampling import pick

# fmt: off
# Given names by sex, per group. The "general" lists are used by every group as well.
FIRST_NAMES = {
    "general": {
        "male": (
            "James", "Robert", "John", "Michael", "William", "David", "Richard", "Joseph",
            "Thomas", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Andrew",
            "Joshua", "Kevin", "Brian", "Ryan", "Jacob", "Tyler", "Brandon", "Justin", "Austin",
            "Cody", "Dustin", "Travis", "Kyle", "Logan", "Ethan", "Noah", "Nicholas", "Gary",
            "Dennis", "Wayne", "Randy", "Larry", "Alexander", "Samuel", "Benjamin", "Zachary",
            "Nathan", "Aaron", "Jeremy", "Shawn", "Derek", "Caleb", "Gregory", "Timothy",
        ),
        "female": (
            "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
            "Sarah", "Karen", "Nancy", "Lisa", "Ashley", "Emily", "Amanda", "Melissa",
            "Stephanie", "Rebecca", "Laura", "Amber", "Brittany", "Megan", "Hannah", "Madison",
            "Olivia", "Emma", "Kayla", "Heather", "Crystal", "Tiffany", "Kimberly", "Deborah",
            "Sharon", "Cheryl", "Brenda", "Tammy", "Katherine", "Margaret", "Samantha",
            "Victoria", "Rachel", "Danielle", "Courtney", "Erin", "Kelsey", "Abigail", "Chloe",
        ),
    },
    "hispanic_latino": {
        "male": (
            "José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Alejandro", "Jorge",
            "Francisco", "Antonio", "Manuel", "Ricardo", "Eduardo", "Roberto", "Fernando",
            "Javier", "Diego", "Mateo", "Santiago", "Adrián", "Ángel", "Raúl", "Sergio", "Héctor",
            "Arturo", "Ramón", "Efraín", "Gilberto", "Isaac", "Joaquín",
        ),
        "female": (
            "María", "Guadalupe", "Ana", "Rosa", "Carmen", "Juana", "Verónica", "Alejandra",
            "Gabriela", "Leticia", "Yesenia", "Daniela", "Sofía", "Valentina", "Camila", "Lucía",
            "Ximena", "Adriana", "Marisol", "Elena", "Isabel", "Lorena", "Maribel", "Esperanza",
            "Graciela", "Rocío", "Beatriz", "Angélica",
        ),
    },
    "black": {
        "male": (
            "DeShawn", "Jamal", "Darnell", "Tyrone", "Marcus", "Andre", "Terrence", "Malik",
            "Jalen", "Darius", "Cedric", "Reginald", "Kendrick", "Xavier", "Jermaine", "Isaiah",
            "Elijah", "Devontae", "Kwame", "Emeka", "Abdi", "Tesfaye",
        ),
        "female": (
            "Keisha", "Latoya", "Imani", "Aaliyah", "Tamika", "Ebony", "Jasmine", "Shanice",
            "Monique", "Destiny", "Kiara", "Nia", "Aisha", "Tanisha", "Deja", "Brianna",
            "Janelle", "Amara", "Hodan", "Chiamaka",
        ),
    },
    "asian": {
        "male": (
            "Minh", "Duc", "Thanh", "Wei", "Jian", "Hiroshi", "Kenji", "Sanjay", "Raj", "Arjun",
            "Vikram", "Sung-min", "Jin", "Hyun", "Tuan", "Bao", "Rohan", "Haruto",
        ),
        "female": (
            "Mai", "Linh", "Thu", "Mei", "Xiu", "Yuki", "Aiko", "Priya", "Anjali", "Deepa",
            "Ji-woo", "Soo-ah", "Hana", "Ngoc", "Lan", "Kavya", "Min-ji",
        ),
    },
    "american_indian_alaska_native": {
        "male": ("Dakota", "Tyrell", "Shilo", "Kele", "Ahiga", "Hototo", "Elan"),
        "female": ("Cheyenne", "Winona", "Tala", "Nizhoni", "Aiyana", "Shandiin", "Dyani"),
    },
    "native_hawaiian_pacific_islander": {
        "male": ("Keoni", "Kai", "Makoa", "Sione", "Tevita", "Manaia"),
        "female": ("Leilani", "Malia", "Kalena", "Mele", "Lose", "Noelani"),
    },
}

LAST_NAMES = {
    "general": (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
        "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Thompson", "White", "Harris",
        "Clark", "Lewis", "Walker", "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green",
        "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter",
        "Phillips", "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart", "Morris",
        "Murphy", "Cook", "Rogers", "Morgan", "Peterson", "Cooper", "Reed", "Bailey", "Kelly",
        "Howard", "Ward", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "Hughes",
        "Price", "Sanders", "Myers", "Long", "Ross", "Foster", "Schmidt", "Mueller", "Olson",
        "Larson", "Hansen", "Jensen", "Novak", "Kowalski", "Sullivan", "O'Brien", "McCarthy",
        "Fitzgerald", "Schneider", "Weber", "Becker", "Hoffman", "Bauer", "Lindquist",
        "Van Dyke", "McAllister", "DeWitt", "Yoder", "Swanson", "Gustafson", "Kaufman",
    ),
    "hispanic_latino": (
        "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
        "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz", "Morales", "Reyes",
        "Gutiérrez", "Ortiz", "Chávez", "Ramos", "Ruiz", "Álvarez", "Mendoza", "Castillo",
        "Jiménez", "Vásquez", "Romero", "Herrera", "Medina", "Aguilar", "Vargas", "Castro",
        "Fernández", "Guzmán", "Muñoz", "Salazar", "Trujillo", "Maestas", "Archuleta", "Valdez",
        "Montoya", "Lucero", "Gallegos", "Martínez-Lucero", "Sandoval", "Vigil", "Espinoza",
    ),
    "black": (
        "Washington", "Jefferson", "Jackson", "Robinson", "Harris", "Coleman", "Jenkins",
        "Booker", "Freeman", "Banks", "Mosley", "Gaines", "Tate", "Odom", "Dawson", "Pryor",
        "Holloway", "Okafor", "Mensah", "Abebe", "Tesfaye", "Diallo", "Osei", "Warsame",
    ),
    "asian": (
        "Nguyen", "Tran", "Le", "Pham", "Huynh", "Vo", "Chen", "Wang", "Li", "Zhang", "Liu",
        "Kim", "Park", "Lee", "Choi", "Patel", "Shah", "Singh", "Kumar", "Tanaka", "Yamamoto",
        "Nakamura", "Santos", "Dela Cruz", "Bautista",
    ),
    "american_indian_alaska_native": (
        "Begay", "Yazzie", "Tsosie", "Benally", "Nez", "Chee", "Etsitty", "Manygoats",
        "Yellowhorse", "Two Bulls", "Red Cloud", "Whiteman", "Spotted Elk", "Cuthair", "Box",
        "Eagle Heart", "Tohee",
    ),
    "native_hawaiian_pacific_islander": (
        "Kealoha", "Mahoe", "Kahale", "Tupou", "Fifita", "Taufa", "Leota", "Faleolo",
    ),
}

# Formal name -> the names it is also recorded under.
NICKNAMES = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Bill", "Will", "Billy"),
    "Richard": ("Rick", "Rich"), "James": ("Jim", "Jimmy", "Jamie"), "John": ("Jack", "Johnny"),
    "Michael": ("Mike",), "Joseph": ("Joe", "Joey"), "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris",), "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",),
    "Anthony": ("Tony",), "Steven": ("Steve",), "Andrew": ("Andy", "Drew"), "Joshua": ("Josh",),
    "Jacob": ("Jake",), "Nicholas": ("Nick",), "Gregory": ("Greg",), "Timothy": ("Tim",),
    "Samuel": ("Sam",), "Benjamin": ("Ben",), "Zachary": ("Zach",), "Alexander": ("Alex",),
    "Nathan": ("Nate",), "Lawrence": ("Larry",), "Elizabeth": ("Liz", "Beth", "Betsy"),
    "Patricia": ("Pat", "Patty", "Trish"), "Jennifer": ("Jen", "Jenny"), "Susan": ("Sue",),
    "Jessica": ("Jess",), "Rebecca": ("Becky",), "Kimberly": ("Kim",), "Deborah": ("Debbie",),
    "Margaret": ("Maggie", "Peggy"), "Katherine": ("Kate", "Katie", "Kathy"),
    "Samantha": ("Sam",), "Victoria": ("Tori", "Vicky"), "Abigail": ("Abby",),
    "Stephanie": ("Steph",), "Amanda": ("Mandy",), "Danielle": ("Dani",),
    "Francisco": ("Frank", "Paco"), "José": ("Joe",), "Jesús": ("Chuy",),
    "Guadalupe": ("Lupe",), "Alejandro": ("Alex",), "Eduardo": ("Eddie", "Lalo"),
    "Roberto": ("Beto",), "Antonio": ("Tony",), "Manuel": ("Manny",), "Ricardo": ("Rick",),
    "Javier": ("Javi",), "Gabriela": ("Gaby",), "Alejandra": ("Ale",), "Reginald": ("Reggie",),
    "Terrence": ("Terry",), "Elijah": ("Eli",), "DeShawn": ("Shawn",), "Isaiah": ("Zay",),
    "Arturo": ("Art",), "Ramón": ("Ray",), "Esperanza": ("Espi",), "Graciela": ("Chela",),
}
# fmt: on

# Keys that sit next to each other, for plausible typing slips.
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {}
for _row in _KEYBOARD_ROWS:
    for _i, _key in enumerate(_row):
        _NEIGHBOURS[_key] = _row[max(0, _i - 1) : _i] + _row[_i + 1 : _i + 2]


def strip_accents(text: str) -> str:
    """'José Martínez' -> 'Jose Martinez', as many records systems store it."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def typo(rng, text: str) -> str:
    """One slip of the keyboard: a swap, a dropped, doubled or neighbouring letter."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.3:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.55:
        return text[:i] + text[i + 1 :]
    if kind < 0.75:
        return text[:i] + text[i] + text[i:]
    neighbours = _NEIGHBOURS.get(text[i].lower())
    if not neighbours:
        return text[:i] + text[i + 1 :]
    letter = pick(rng, neighbours)
    return text[:i] + (letter.upper() if text[i].isupper() else letter) + text[i + 1 :]
