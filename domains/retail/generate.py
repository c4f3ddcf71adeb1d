"""Our own seeded retail sandbox, in τ²-bench's `db.json` format, with our own catalog and people.

`generate(seed, scale)` builds a world about the size and shape of τ²-bench's at scale 1.0: 50
product types with ~600 variants (~65% in stock), ~500 users, ~1,000 orders whose status mix,
items per order, payment methods and fulfilments look like τ²-bench's. Everything comes from one
`random.Random(seed)`: the same seed and scale give the same JSON, byte for byte.

Conventions of the world (all checked by `domains.retail.check`):
- an order's items are variants of real products, at the variant's price; an order may repeat one;
- a payment is `round(sum of item prices, 2)`, made with one of the user's own methods;
- gift card balances are what is left on the card now (0-150), so past payments never make them negative;
- pending orders: no fulfilment, one payment; processed / delivered: one fulfilment shipping every
  item; cancelled: a payment and the matching refund, a cancel reason, nothing shipped;
- names repeat across users and neighbours share a city or zip, but no two users share
  first name + last name + zip, and emails are unique, so both lookups find one user.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

from domains.retail.models import CancelReason, OrderStatus

BASE_USERS = 500
BASE_ORDERS = 1000
AVAILABLE_SHARE = 0.65

Options = dict[str, list[str]]
COLORS = ["black", "white", "gray", "navy", "olive", "red", "sand"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
SHOE_SIZES = ["7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12"]

# name, typical price, option dimensions (every combination is a possible variant)
CATALOG: list[tuple[str, float, Options]] = [
    ("Hoodie", 48, {"color": COLORS, "size": SIZES, "fit": ["regular", "relaxed", "slim"],
                    "fabric": ["cotton", "fleece", "recycled polyester"]}),
    ("Rain Jacket", 125, {"color": ["yellow", "navy", "black", "forest green"], "size": SIZES,
                          "hood": ["fixed", "packable", "detachable"]}),
    ("Wool Socks", 18, {"size": ["S", "M", "L"], "cushioning": ["light", "medium", "heavy"],
                        "length": ["ankle", "crew", "knee-high"], "color": ["charcoal", "oatmeal", "navy"]}),
    ("Denim Jeans", 72, {"waist": ["28", "30", "32", "34", "36", "38"], "inseam": ["30", "32", "34"],
                         "wash": ["light", "medium", "dark", "black"], "cut": ["straight", "slim", "bootcut"]}),
    ("Baseball Cap", 26, {"color": COLORS, "closure": ["snapback", "strapback", "fitted"],
                          "material": ["cotton twill", "mesh", "wool blend"]}),
    ("Trail Running Shoes", 138, {"size": SHOE_SIZES, "width": ["regular", "wide"],
                                  "color": ["slate", "orange", "black", "teal"], "drop": ["4mm", "8mm", "10mm"]}),
    ("Winter Boots", 176, {"size": SHOE_SIZES, "insulation": ["200g", "400g", "800g"],
                           "color": ["brown", "black", "tan"]}),
    ("Blender", 112, {"capacity": ["48 oz", "64 oz", "72 oz"], "power": ["700W", "1000W", "1400W"],
                      "color": ["black", "silver", "red"]}),
    ("Toaster", 58, {"slots": ["2", "4"], "color": ["black", "cream", "red", "silver"],
                     "finish": ["brushed steel", "matte", "gloss"]}),
    ("Air Fryer", 129, {"capacity": ["4 qt", "6 qt", "8 qt"], "color": ["black", "white", "gray"],
                        "controls": ["dial", "digital touch"]}),
    ("Rice Cooker", 88, {"capacity": ["3 cups", "5 cups", "10 cups"],
                         "inner pot": ["nonstick", "stainless steel", "ceramic"], "color": ["white", "black"]}),
    ("Stand Mixer", 379, {"bowl size": ["4.5 qt", "5 qt", "6 qt"], "color": ["red", "white", "black", "teal"],
                          "motor": ["300W", "500W"]}),
    ("Cast Iron Skillet", 42, {"diameter": ["8 inch", "10 inch", "12 inch"], "pre-seasoned": ["yes", "no"],
                               "handle": ["single", "dual"]}),
    ("Chef's Knife", 86, {"blade length": ["6 inch", "8 inch", "10 inch"],
                          "steel": ["German stainless", "Japanese VG-10", "carbon"],
                          "handle": ["wood", "resin", "steel"]}),
    ("Smart TV", 1090, {"screen size": ["43 inch", "55 inch", "65 inch", "75 inch"], "panel": ["LED", "QLED", "OLED"],
                        "refresh rate": ["60Hz", "120Hz"]}),
    ("Food Storage Set", 39, {"pieces": ["10", "18", "24"], "material": ["glass", "plastic"],
                              "lid color": ["blue", "gray", "green"]}),
    ("Standing Desk", 524, {"width": ["48 inch", "55 inch", "60 inch", "72 inch"],
                            "top finish": ["oak", "walnut", "white", "black"],
                            "frame color": ["black", "white", "silver"], "motor": ["single", "dual"]}),
    ("Monitor", 318, {"screen size": ["24 inch", "27 inch", "32 inch"], "resolution": ["1080p", "1440p", "4K"],
                      "refresh rate": ["60Hz", "144Hz", "165Hz"], "panel": ["IPS", "VA"]}),
    ("Webcam", 74, {"resolution": ["720p", "1080p", "4K"], "field of view": ["65 degrees", "78 degrees", "90 degrees"],
                    "microphone": ["mono", "stereo"]}),
    ("USB-C Hub", 44, {"ports": ["4-in-1", "7-in-1", "10-in-1"], "color": ["gray", "silver"],
                       "cable length": ["short", "long"]}),
    ("External SSD", 139, {"capacity": ["500GB", "1TB", "2TB", "4TB"], "interface": ["USB 3.2", "Thunderbolt"],
                           "color": ["black", "blue", "silver"]}),
    ("Wireless Router", 212, {"standard": ["Wi-Fi 6", "Wi-Fi 6E", "Wi-Fi 7"], "bands": ["dual-band", "tri-band"],
                              "coverage": ["2000 sq ft", "3500 sq ft", "5000 sq ft"]}),
    ("Drawing Tablet", 168, {"active area": ["small", "medium", "large"], "pressure levels": ["4096", "8192"],
                             "connectivity": ["wired", "bluetooth"]}),
    ("Printer", 231, {"type": ["inkjet", "laser"], "output": ["monochrome", "color"],
                      "connectivity": ["USB", "Wi-Fi", "Ethernet"]}),
    ("Soundbar", 262, {"channels": ["2.0", "2.1", "5.1"], "subwoofer": ["none", "wired", "wireless"],
                       "color": ["black", "white"]}),
    ("Turntable", 243, {"drive": ["belt", "direct"], "speeds": ["33/45", "33/45/78"], "preamp": ["built-in", "none"],
                        "finish": ["black", "walnut", "white"]}),
    ("Projector", 648, {"resolution": ["720p", "1080p", "4K"],
                        "brightness": ["2000 lumens", "3500 lumens", "5000 lumens"], "throw": ["standard", "short"]}),
    ("Fitness Tracker", 109, {"band color": ["black", "pink", "blue", "green"], "band size": ["S/M", "L/XL"],
                              "gps": ["built-in", "connected"]}),
    ("Electric Scooter", 482, {"range": ["15 miles", "25 miles", "40 miles"], "top speed": ["15 mph", "19 mph"],
                               "color": ["black", "gray", "white"]}),
    ("Tent", 258, {"capacity": ["2-person", "4-person", "6-person"], "season": ["3-season", "4-season"],
                   "color": ["green", "orange", "gray"]}),
    ("Sleeping Bag", 142, {"temperature rating": ["15F", "30F", "45F"], "fill": ["down", "synthetic"],
                           "length": ["regular", "long"], "zipper": ["left", "right"]}),
    ("Camping Stove", 91, {"burners": ["1", "2"], "fuel": ["propane", "butane", "multi-fuel"],
                           "ignition": ["manual", "piezo"]}),
    ("Kayak Paddle", 118, {"length": ["220 cm", "230 cm", "240 cm"], "shaft": ["aluminum", "fiberglass", "carbon"],
                           "blade": ["symmetric", "asymmetric"]}),
    ("Tennis Racket", 171, {"head size": ["98 sq in", "100 sq in", "105 sq in"],
                            "grip size": ["4 1/8", "4 1/4", "4 3/8"], "weight": ["280g", "300g", "315g"]}),
    ("Electric Bike", 1890, {"frame size": ["S", "M", "L"], "battery": ["400Wh", "500Wh", "625Wh"],
                             "color": ["matte black", "sage", "sky blue"],
                             "frame style": ["step-through", "high-step"]}),
    ("Kettlebell", 61, {"weight": ["8 kg", "12 kg", "16 kg", "20 kg", "24 kg"],
                        "coating": ["cast iron", "vinyl", "powder coat"], "handle": ["standard", "wide"]}),
    ("Rowing Machine", 845, {"resistance": ["air", "magnetic", "water"], "foldable": ["yes", "no"],
                             "monitor": ["basic LCD", "smart touchscreen"]}),
    ("Area Rug", 238, {"size": ["5x8 ft", "8x10 ft", "9x12 ft"], "material": ["wool", "jute", "polypropylene"],
                       "pattern": ["solid", "geometric", "floral", "striped"]}),
    ("Table Lamp", 76, {"shade color": ["white", "linen", "black"], "base": ["ceramic", "brass", "wood", "glass"],
                        "bulb": ["LED", "incandescent"]}),
    ("Bed Sheet Set", 94, {"bed size": ["twin", "full", "queen", "king"],
                           "material": ["cotton percale", "linen", "bamboo", "microfiber"],
                           "color": ["white", "sage", "charcoal", "blush"]}),
    ("Throw Pillow", 28, {"size": ["16x16", "18x18", "20x20"], "fabric": ["velvet", "linen", "cotton"],
                          "color": ["mustard", "teal", "ivory", "rust"]}),
    ("Ceiling Fan", 209, {"blade span": ["42 inch", "52 inch", "60 inch"],
                          "finish": ["matte black", "brushed nickel", "white"], "light kit": ["yes", "no"],
                          "control": ["pull chain", "remote", "wall"]}),
    ("Robot Vacuum", 419, {"navigation": ["lidar", "camera", "gyroscope"], "mopping": ["yes", "no"],
                           "self-emptying": ["yes", "no"]}),
    ("Space Heater", 84, {"type": ["ceramic", "oil-filled", "infrared"], "wattage": ["750W", "1500W"],
                          "thermostat": ["manual", "digital"]}),
    ("Humidifier", 66, {"tank": ["2 L", "4 L", "6 L"], "mist": ["cool", "warm"], "color": ["white", "black"]}),
    ("Dog Leash", 24, {"length": ["4 ft", "6 ft", "retractable"], "material": ["nylon", "leather", "rope"],
                       "color": ["red", "blue", "black", "orange"]}),
    ("Cat Tree", 112, {"height": ["3 ft", "5 ft", "6 ft"], "levels": ["2", "3", "4"],
                       "color": ["beige", "gray", "brown"]}),
    ("Aquarium Kit", 148, {"volume": ["10 gal", "20 gal", "40 gal"], "filter": ["hang-on", "canister", "sponge"],
                           "lighting": ["standard", "planted"]}),
    ("Board Game", 46, {"edition": ["standard", "deluxe", "collector"], "language": ["English", "Spanish", "French"],
                        "players": ["2-4", "2-6", "3-8"]}),
    ("Acoustic Guitar", 423, {"body": ["dreadnought", "concert", "parlor"], "top": ["spruce", "cedar", "mahogany"],
                              "handedness": ["right", "left"], "finish": ["natural", "sunburst", "black"]}),
]

FIRST_NAMES = [
    "Amara", "Bruno", "Chloe", "Dmitri", "Elena", "Felix", "Grace", "Hiro", "Imani", "Jonas", "Keiko", "Leo",
    "Maya", "Nikhil", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tessa", "Umar", "Valeria", "Wei", "Ximena",
    "Yusuf", "Zoe", "Aiden", "Bianca", "Caleb", "Divya", "Emeka", "Freya", "Gustavo", "Hana", "Isaac", "Julia",
]
LAST_NAMES = [
    "Abbott", "Banerjee", "Castillo", "Dubois", "Eriksen", "Fischer", "Gallagher", "Haddad", "Ito", "Jovanovic",
    "Kaur", "Lindqvist", "Mensah", "Novak", "Okafor", "Petrov", "Quintero", "Romero", "Sato", "Tanaka", "Ueda",
    "Vargas", "Walsh", "Xu", "Yilmaz", "Zhang", "Alvarez", "Brennan", "Chowdhury", "Delgado", "Ferreira", "Greene",
    "Hoffman", "Iqbal", "Jensen", "Kim",
]
# city, state, first three digits of its zip codes
CITIES = [
    ("Portland", "OR", "972"), ("Seattle", "WA", "981"), ("Boise", "ID", "837"), ("Sacramento", "CA", "958"),
    ("Los Angeles", "CA", "900"), ("Tucson", "AZ", "857"), ("Albuquerque", "NM", "871"),
    ("Salt Lake City", "UT", "841"),
    ("Minneapolis", "MN", "554"), ("Milwaukee", "WI", "532"), ("Kansas City", "MO", "641"), ("Omaha", "NE", "681"),
    ("Nashville", "TN", "372"), ("Atlanta", "GA", "303"), ("Raleigh", "NC", "276"), ("Richmond", "VA", "232"),
    ("Pittsburgh", "PA", "152"), ("Boston", "MA", "021"), ("Baltimore", "MD", "212"), ("Miami", "FL", "331"),
    ("Houston", "TX", "770"), ("Detroit", "MI", "482"),
]
STREETS = [
    "Alder Way", "Birch Court", "Canal Street", "Dogwood Road", "Essex Avenue", "Foxglove Lane", "Granite Street",
    "Harbor View", "Ironwood Drive", "Juniper Place", "Kingfisher Road", "Lark Street", "Magnolia Avenue",
    "Northgate Drive", "Orchard Lane", "Prospect Street", "Quarry Road", "Riverside Terrace", "Sycamore Street",
    "Tamarack Way", "Union Avenue", "Vista Boulevard", "Walnut Hill Road", "Yarrow Court",
]
CARD_BRANDS = ["visa", "mastercard", "amex", "discover"]
CARD_BRAND_WEIGHTS = [40, 35, 15, 10]
STATUS_WEIGHTS = {OrderStatus.PENDING: 42, OrderStatus.DELIVERED: 37, OrderStatus.PROCESSED: 10,
                  OrderStatus.CANCELLED: 10}
METHOD_COUNT_WEIGHTS = {1: 67, 2: 27, 3: 5, 4: 1}


def generate(seed: int, scale: float = 1.0) -> dict[str, Any]:
    """A new retail database (parsed-JSON form) determined entirely by `seed` and `scale`.

    `scale` multiplies the number of users (500) and orders (1,000); the catalog stays 50 products.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    world = _WorldBuilder(random.Random(seed))
    products = world.products()
    users = world.users(max(1, round(BASE_USERS * scale)))
    orders = world.orders(max(1, round(BASE_ORDERS * scale)), products, users)
    return {"products": products, "users": users, "orders": orders,
            "meta": {"generator": "cove", "seed": seed, "scale": float(scale)}}


class _WorldBuilder:
    """Draws every record from one random stream and keeps ids unique across the database."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_ids: set[str] = set()  # membership only, never iterated

    def unique(self, make: Callable[[], str]) -> str:
        """The first value `make` draws that no record of this database uses yet."""
        while (value := make()) in self.used_ids:
            pass
        self.used_ids.add(value)
        return value

    def digits(self, count: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(count))

    def numeric_id(self, count: int, prefix: str = "") -> str:
        """`prefix` + `count` digits (no leading zero), unused so far in this database."""
        return self.unique(lambda: prefix + str(self.rng.randrange(10 ** (count - 1), 10**count)))

    # products

    def products(self) -> dict[str, Any]:
        products: dict[str, Any] = {}
        for name, typical_price, options in CATALOG:
            product_id = self.numeric_id(10)
            products[product_id] = {"name": name, "product_id": product_id,
                                    "variants": self.variants(typical_price, options)}
        return products

    def variants(self, typical_price: float, options: Options) -> dict[str, Any]:
        combinations = list(itertools.product(*options.values()))
        chosen = self.rng.sample(combinations, min(len(combinations), self.rng.randint(6, 20)))
        available = [self.rng.random() < AVAILABLE_SHARE for _ in chosen]
        while sum(available) < min(2, len(available)):  # every product offers something to switch to
            available[available.index(False)] = True
        variants: dict[str, Any] = {}
        for values, in_stock in zip(chosen, available):
            item_id = self.numeric_id(10)
            variants[item_id] = {"item_id": item_id, "options": dict(zip(options, values)), "available": in_stock,
                                 "price": round(typical_price * self.rng.uniform(0.86, 1.16), 2)}
        return variants

    # users

    def users(self, count: int) -> dict[str, Any]:
        users: dict[str, Any] = {}
        name_zips: set[tuple[str, str, str]] = set()
        while len(users) < count:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            address = self.address()
            if (first, last, address["zip"]) in name_zips:
                continue  # two people with one name in one zip could not be told apart
            name_zips.add((first, last, address["zip"]))
            handle = f"{first.lower()}_{last.lower()}"
            user_id = self.unique(lambda: f"{handle}_{self.digits(4)}")
            email = self.unique(lambda: f"{first.lower()}.{last.lower()}{self.digits(4)}@example.com")
            users[user_id] = {"user_id": user_id, "name": {"first_name": first, "last_name": last},
                              "address": address, "email": email,
                              "payment_methods": self.payment_methods(), "orders": []}
        return users

    def address(self) -> dict[str, str]:
        city, state, zip_prefix = self.rng.choice(CITIES)
        roll = self.rng.random()
        if roll < 0.35:
            address2 = f"Suite {self.rng.randint(100, 999)}"
        elif roll < 0.6:
            address2 = f"Apt {self.rng.randint(1, 30)}{self.rng.choice('ABCDEF')}"
        else:
            address2 = ""
        return {"address1": f"{self.rng.randint(10, 9999)} {self.rng.choice(STREETS)}", "address2": address2,
                "city": city, "country": "USA", "state": state, "zip": zip_prefix + self.digits(2)}

    def payment_methods(self) -> dict[str, Any]:
        count = self.rng.choices(list(METHOD_COUNT_WEIGHTS), weights=list(METHOD_COUNT_WEIGHTS.values()))[0]
        # at most one PayPal account and one gift card; a fourth method is a second credit card
        sources = self.rng.sample(["credit_card", "paypal", "gift_card"], min(count, 3)) + ["credit_card"] * (count - 3)
        methods: dict[str, Any] = {}
        for source in sorted(sources):
            method_id = self.numeric_id(7, prefix=f"{source}_")
            method: dict[str, Any] = {"source": source, "id": method_id}
            if source == "credit_card":
                method["brand"] = self.rng.choices(CARD_BRANDS, weights=CARD_BRAND_WEIGHTS)[0]
                method["last_four"] = self.digits(4)
            elif source == "gift_card":
                method["balance"] = round(self.rng.uniform(0, 150), 2)
            methods[method_id] = method
        return methods

    # orders

    def orders(self, count: int, products: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
        catalog = list(products.values())
        user_list = list(users.values())
        statuses = list(STATUS_WEIGHTS)
        weights = list(STATUS_WEIGHTS.values())
        orders: dict[str, Any] = {}
        for _ in range(count):
            user = self.rng.choice(user_list)
            order_id = self.numeric_id(7, prefix="#W")
            status = self.rng.choices(statuses, weights=weights)[0]
            orders[order_id] = self.order(order_id, user, status, catalog)
            user["orders"].append(order_id)
        return orders

    def order(self, order_id: str, user: dict[str, Any], status: OrderStatus, catalog: list[Any]) -> dict[str, Any]:
        items = []
        for _ in range(self.rng.randint(1, 5)):
            product = self.rng.choice(catalog)
            variant = self.rng.choice(list(product["variants"].values()))
            items.append({"name": product["name"], "product_id": product["product_id"], "item_id": variant["item_id"],
                          "price": variant["price"], "options": dict(variant["options"])})
        # most orders ship home; some went to another address (a gift, an old home)
        address = dict(user["address"]) if self.rng.random() < 0.8 else self.address()
        method_id = self.rng.choice(list(user["payment_methods"]))
        payment = {"transaction_type": "payment", "amount": round(sum(item["price"] for item in items), 2),
                   "payment_method_id": method_id}
        order: dict[str, Any] = {"order_id": order_id, "user_id": user["user_id"], "address": address,
                                 "items": items, "status": str(status), "fulfillments": [],
                                 "payment_history": [payment]}
        if status in (OrderStatus.PROCESSED, OrderStatus.DELIVERED):
            order["fulfillments"] = [{"tracking_id": [self.numeric_id(12)],
                                      "item_ids": [item["item_id"] for item in items]}]
        elif status == OrderStatus.CANCELLED:
            order["payment_history"].append({**payment, "transaction_type": "refund"})
            order["cancel_reason"] = str(self.rng.choice(list(CancelReason)))
        return order
