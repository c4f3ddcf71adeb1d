"""The seeded telecom sandbox: a fixed catalogue of plans and add-ons, and accounts drawn from one random stream.

`generate(seed, scale)` at scale 1.0 holds 300 accounts with one to four lines each and three monthly
bills per account. The same seed and scale give the same JSON, byte for byte.

Conventions of the world (checked by `cove_telecom.check`):
- every line is on a plan of the catalogue and carries add-ons of the catalogue, at most one roaming pass;
- a suspended line records why and for how many days; an active one has no suspension;
- a bill is the account's monthly charge; the two older bills are paid, the latest is unpaid, paid or
  (for some accounts) overdue, and a paid bill records the saved method that paid it in full;
- no two accounts share an email, or a first name + last name + zip; no two lines share a number.
"""

from __future__ import annotations

import random
from typing import Any

BASE_USERS = 300
PERIODS = (("2025-01", "2025-02-15"), ("2025-02", "2025-03-15"), ("2025-03", "2025-04-15"))

# plan id, name, monthly price, data allowance (GB)
PLANS = [
    ("plan_starter", "Starter 5", 25.0, 5),
    ("plan_everyday", "Everyday 15", 40.0, 15),
    ("plan_plus", "Plus 40", 55.0, 40),
    ("plan_max", "Max 100", 75.0, 100),
]
# add-on id, name, kind, monthly price
ADDONS = [
    ("addon_roam_europe", "Europe Roaming Pass", "roaming", 20.0),
    ("addon_roam_americas", "Americas Roaming Pass", "roaming", 15.0),
    ("addon_roam_asia", "Asia Roaming Pass", "roaming", 25.0),
    ("addon_data_topup", "Data Top-Up 5 GB", "data", 10.0),
    ("addon_hotspot", "Hotspot Boost", "hotspot", 8.0),
    ("addon_world_calling", "World Calling", "calling", 6.0),
]
DEVICES = ["Pixel 8", "Pixel 7a", "iPhone 15", "iPhone 13", "iPhone SE", "Galaxy S24", "Galaxy A54", "Moto G Power", "Nokia G42", "OnePlus 12"]
FIRST_NAMES = [
    "Adaeze", "Bram", "Carmen", "Dario", "Efua", "Finn", "Gita", "Hector", "Ines", "Jasper", "Kaia", "Lorenzo", "Mirela",
    "Nadim", "Oona", "Pavel", "Renata", "Soren", "Talia", "Ulrich", "Vesna", "Wyatt", "Yara", "Zeno", "Anouk", "Basil",
    "Cosima", "Dev", "Elodie", "Gideon",
]
FAMILY_NAMES = ["Milo", "Ruby", "Theo", "Lena", "Omar", "Nina", "Felix", "Ivy", "Sami", "Clara", "Jonah", "Mei", "Rafael", "Zora"]
LAST_NAMES = [
    "Achterberg", "Bianchi", "Coelho", "Dimitrov", "Eze", "Fontaine", "Grieg", "Horvath", "Iyer", "Janssen", "Kowalczyk",
    "Laine", "Moreau", "Nakamura", "Osei", "Pereira", "Rasmussen", "Szabo", "Thorne", "Uribe", "Varga", "Whitfield",
    "Yamada", "Zielinski", "Abara", "Brandt",
]
# city, state, zip prefix, area code
CITIES = [
    ("Spokane", "WA", "992", "509"), ("Eugene", "OR", "974", "541"), ("Reno", "NV", "895", "775"), ("Fresno", "CA", "937", "559"),
    ("Santa Fe", "NM", "875", "505"), ("Des Moines", "IA", "503", "515"), ("Madison", "WI", "537", "608"),
    ("Lexington", "KY", "405", "859"), ("Savannah", "GA", "314", "912"), ("Providence", "RI", "029", "401"),
    ("Burlington", "VT", "054", "802"), ("Tulsa", "OK", "741", "918"), ("Wichita", "KS", "672", "316"), ("Akron", "OH", "443", "330"),
]
STREETS = ["Bellwether Road", "Copper Lane", "Drumlin Way", "Fernhill Avenue", "Gull Street", "Heron Court", "Kestrel Drive",
           "Lantern Place", "Millrace Road", "Osprey Lane", "Quillan Street", "Saltbox Avenue", "Tideway Drive", "Wicket Lane"]
CARD_BRANDS = ["visa", "mastercard", "amex", "discover"]


def generate(seed: int, scale: float = 1.0) -> dict[str, Any]:
    """A new telecom database (parsed-JSON form) determined by `seed` and `scale` (which multiplies the 300 accounts)."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    world = _Builder(random.Random(seed))
    plans = {pid: {"plan_id": pid, "name": name, "monthly_price": price, "data_gb": gb} for pid, name, price, gb in PLANS}
    addons = {aid: {"addon_id": aid, "name": name, "kind": kind, "monthly_price": price} for aid, name, kind, price in ADDONS}
    users: dict[str, Any] = {}
    lines: dict[str, Any] = {}
    bills: dict[str, Any] = {}
    for _ in range(max(1, round(BASE_USERS * scale))):
        user, area = world.user()
        users[user["user_id"]] = user
        for _ in range(world.rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]):
            line = world.line(user, area, plans)
            lines[line["line_id"]] = line
            user["lines"].append(line["line_id"])
        monthly = sum(plans[lines[lid]["plan_id"]]["monthly_price"] + sum(addons[a]["monthly_price"] for a in lines[lid]["addons"])
                      for lid in user["lines"])
        for bill in world.bills(user, monthly):
            bills[bill["bill_id"]] = bill
            user["bills"].append(bill["bill_id"])
    return {"plans": plans, "addons": addons, "users": users, "lines": lines, "bills": bills,
            "meta": {"generator": "cove-telecom", "seed": seed, "scale": float(scale)}}


class _Builder:
    """Draws every record from one random stream and keeps ids, numbers and lookups unique."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[Any] = set()  # membership only, never iterated
        self.holders: dict[str, list[str]] = {}  # user id -> the holders of its lines so far

    def unique(self, make: Any) -> str:
        while (value := make()) in self.used:
            pass
        self.used.add(value)
        return value

    def number(self, prefix: str, digits: int = 7) -> str:
        return self.unique(lambda: f"{prefix}{self.rng.randrange(10 ** (digits - 1), 10**digits)}")

    def user(self) -> tuple[dict[str, Any], str]:
        """A new account holder, and the area code of their city (their lines' numbers start with it)."""
        rng = self.rng
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            city, state, prefix, area = rng.choice(CITIES)
            zip_code = f"{prefix}{rng.randint(0, 99):02d}"
            if ("name", first, last, zip_code) not in self.used:
                self.used.add(("name", first, last, zip_code))
                break
        email = self.unique(lambda: f"{first.lower()}.{last.lower()}{rng.randint(10, 9999)}@example.net")
        user_id = self.unique(lambda: f"{first.lower()}_{last.lower()}_{rng.randint(1000, 9999)}")
        methods: dict[str, Any] = {}
        fours: set[str] = set()
        for _ in range(rng.choices((1, 2, 3), weights=(55, 35, 10))[0]):
            if not methods or rng.random() < 0.75:
                method_id = self.number("credit_card_")
                last_four = f"{rng.randint(0, 9999):04d}"
                while last_four in fours:  # one account's cards never share their last four digits
                    last_four = f"{rng.randint(0, 9999):04d}"
                fours.add(last_four)
                methods[method_id] = {"source": "credit_card", "id": method_id, "brand": rng.choice(CARD_BRANDS), "last_four": last_four}
            elif not any(m["source"] == "paypal" for m in methods.values()):
                method_id = self.number("paypal_")
                methods[method_id] = {"source": "paypal", "id": method_id}
        unit = rng.choice(("", "", "", f"Apt {rng.randint(1, 30)}", f"Unit {rng.randint(1, 12)}"))
        address = {"address1": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}", "address2": unit, "city": city,
                   "country": "USA", "state": state, "zip": zip_code}
        return {"user_id": user_id, "name": {"first_name": first, "last_name": last}, "email": email, "address": address,
                "payment_methods": methods, "lines": [], "bills": []}, area

    def line(self, user: dict[str, Any], area: str, plans: dict[str, Any]) -> dict[str, Any]:
        """A line of the account: the first is the holder's own, the others a family member's each."""
        rng = self.rng
        phone = self.unique(lambda: f"{area}-{rng.randint(200, 989)}-{rng.randint(0, 9999):04d}")
        taken = self.holders.setdefault(user["user_id"], [])
        holder = user["name"]["first_name"] if not taken else rng.choice([n for n in FAMILY_NAMES if n not in taken])
        taken.append(holder)
        plan_id = rng.choices(list(plans), weights=(25, 35, 28, 12))[0]
        allowance = plans[plan_id]["data_gb"]
        addons: list[str] = []
        if rng.random() < 0.3:
            addons.append(rng.choice(["addon_roam_europe", "addon_roam_americas", "addon_roam_asia"]))
        for extra in ("addon_data_topup", "addon_hotspot", "addon_world_calling"):
            if rng.random() < 0.15:
                addons.append(extra)
        line_id = self.number("line_")
        line: dict[str, Any] = {"line_id": line_id, "user_id": user["user_id"], "phone_number": phone, "holder": holder,
                                "device": rng.choice(DEVICES), "plan_id": plan_id, "addons": addons, "status": "active",
                                "data_used_gb": round(rng.uniform(0.2, allowance * 0.95), 1)}
        if rng.random() < 0.12:
            line["status"] = "suspended"
            line["suspension"] = {"reason": rng.choice(["lost or stolen", "travel"]), "days": rng.choice((7, 14, 21, 30))}
            line["data_used_gb"] = round(rng.uniform(0.0, 1.0), 1)
        return line

    def bills(self, user: dict[str, Any], monthly: float) -> list[dict[str, Any]]:
        rng = self.rng
        methods = list(user["payment_methods"])
        out = []
        last_status = rng.choices(("unpaid", "paid", "overdue"), weights=(55, 30, 15))[0]
        for index, (period, due) in enumerate(PERIODS):
            amount = round(monthly + rng.choice((0.0, 0.0, 4.99, 12.5)) + round(monthly * 0.08, 2), 2)
            status = "paid" if index < len(PERIODS) - 1 else last_status
            if index == len(PERIODS) - 2 and last_status == "overdue" and rng.random() < 0.4:
                status = "overdue"  # two months behind
            bill: dict[str, Any] = {"bill_id": self.number("bill_"), "user_id": user["user_id"], "period": period, "amount": amount,
                                    "due_date": due, "status": status}
            if status == "paid":
                bill["payment"] = {"payment_method_id": rng.choice(methods), "amount": amount}
            out.append(bill)
        return out
