"""The scripted user's phrase banks: several first-person forms of every dialogue act, picked by seed.

Templates take the words `wording` made from the scenario (`{x}`); banks are plain tuples so that a
look at this file shows how the customer can sound. No template repeats the scenario's imperative
openings ("Return ...", "Ask how much ...") or its second person ("your order").
"""

from __future__ import annotations

GREETINGS = (
    "Hi", "Hello", "Hi there", "Hey", "Good morning", "Good afternoon", "Hello there", "Hi, hope you're doing well",
    "Hey there", "Morning", "Hi again", "Good evening",
)

NEEDS = {
    "cancel_order": ("I need to cancel an order", "I'd like to cancel one of my orders", "could you cancel an order for me",
                     "I want to call off an order I placed", "I'm hoping to cancel an order", "please help me cancel an order"),
    "modify_order_address": ("I need to change where an order is being shipped", "one of my orders has to go to a different address",
                             "could you update the shipping address on an order", "I'd like an order delivered somewhere else"),
    "modify_order_payment": ("I'd like to change how I paid for an order", "can I switch the payment method on an order",
                             "I want to pay for one of my orders differently", "I need to change the card an order is charged to"),
    "info_tracking_number": ("I'm looking for an order's tracking number", "could you give me the tracking number for a package",
                             "I need tracking info for one of my orders", "where can I track an order of mine"),
    "return_items": ("I want to send something back", "I'd like to return a few things", "I need to return an item",
                     "I'd like to start a return", "can I return something I bought"),
    "info_refund_total": ("I'm wondering how much I'd get back if I returned something", "how much would a return refund me",
                          "before returning anything, I'd like to know what the refund would be", "could you tell me what I'd be refunded for a return"),
    "modify_order_items": ("I'd like to change some items in an order that hasn't shipped", "I want to swap an item in a pending order for a different version",
                           "can I change the options on something I ordered", "I need a different variant of something in an open order"),
    "exchange_items": ("I want to exchange something I received", "I'd like to exchange an item for a different version",
                       "can I exchange a product I got", "I need to swap something I received for another option"),
    "modify_user_address": ("I've moved and need to update my address", "I'd like to change the default address on my account",
                            "my address has changed, can you update my profile", "please update the address on my profile"),
    "info_gift_card_balance": ("how much is left on my gift card", "I'd like to check my gift card balance", "could you tell me what my gift card balance is",
                               "I'm curious what's left on my gift card"),
    "info_gift_card_balance_many": ("how much is left on my gift cards altogether", "I'd like to know the combined balance of my gift cards",
                                    "could you total up what's left on my gift cards"),
    "book_reservation": ("I'd like to book a flight", "I need to make a new booking", "can you help me book a trip", "I want to book some flights"),
    "cancel_reservation": ("I need to cancel a trip", "I'd like to cancel a reservation", "please cancel one of my bookings", "I have to call off a trip"),
    "send_compensation": ("I'm really unhappy about a flight of mine and I'd like some compensation",
                          "one of my flights was cancelled and I'd like to know what you can offer",
                          "I want to complain about a flight, and I think I'm owed compensation"),
    "send_compensation_delayed": ("my flight is delayed and I'm not happy about it: can I get compensation for that?",
                                  "I want to complain about a delay and ask what you can do for me",
                                  "one of my flights is running late and I'd like some compensation"),
    "info_certificate_total": ("how much is my travel certificate worth", "could you check the value of my travel certificate",
                               "I'd like to know what my certificate is worth"),
    "info_certificate_total_many": ("how much are my travel certificates worth together", "what's the total value of my certificates",
                                    "could you add up my travel certificates for me"),
    "info_flight_status": ("is my flight on time", "could you check the status of a flight", "I'd like to know if a flight is on schedule",
                           "can you tell me whether a flight is running on time"),
    "change_cabin": ("I'd like to change the cabin on a booking", "can I switch cabins on one of my trips", "I want to change the class I'm flying in"),
    "add_bags": ("I need to add checked bags to a trip", "can I add some luggage to my booking", "I'd like to check more bags on a trip"),
    "change_flights": ("I need to change the flights on a trip", "I'd like to move to a different flight", "can I rebook one of my flights"),
    "update_passengers": ("I need to fix passenger details on a booking", "there's a passenger change on one of my trips", "I have to update a passenger on a reservation"),
}

OPAQUE = ("Here's what I need: {x}", "I'm calling because of this: {x}", "So, {x}")

INFORMS = {
    "order": ("It's {x}.", "It's about {x}.", "I mean {x}.", "That would be {x}.", "The order in question is {x}.", "I'm talking about {x}.", "It's {x}, if that helps."),
    "items": ("It's {x}.", "I mean {x}.", "That's {x}.", "Just {x}.", "The ones I mean are {x}.", "{X}, please.", "It would be {x}."),
    "method": ("Please use {x}.", "I'd like to use {x}.", "Put it on {x}.", "{X}, please.", "Let's go with {x}.", "I'll use {x}.", "Use {x}, please."),
    "refund": ("The refund should go to {x}.", "Please refund it to {x}.", "Send the money back to {x}.", "I'd like the refund on {x}.", "{X} for the refund, please."),
    "reason": ("{X}.", "Because {x}.", "The reason is that {x}.", "Honestly, {x}.", "Well, {x}."),
    "where": ("Please send it to {x}.", "It should go to {x}.", "Ship it to {x}, please.", "The address I want is {x}.", "I'd like it delivered to {x}."),
    "address": ("The new address is {x}.", "It's {x}.", "Please make it {x}.", "I'm now at {x}.", "My new address is {x}."),
    "swaps": ("I'd like {x}.", "I want {x}.", "Please change {x}.", "What I need is {x}.", "I'm after {x}."),
    "route": ("{X}.", "It's {x}.", "I'm looking at {x}.", "I want {x}."),
    "flights": ("I'd like {x}.", "I want to take {x}.", "Please book {x}.", "I've picked {x}."),
    "cabin": ("{X}, please.", "I'd like {x}.", "Let's do {x}.", "I'll fly {x}."),
    "travellers": ("It's {x}.", "The travellers are {x}.", "That's {x}.", "We'll be {x}."),
    "bags": ("{X}.", "I'll need {x}.", "Let's say {x}.", "Put me down for {x}."),
    "insurance": ("{X}.",),
    "pay": ("I'll pay with {x}.", "Please charge {x}.", "Use {x} for it.", "{X}, please."),
    "res": ("It's {x}.", "I mean {x}.", "It's about {x}.", "The trip is {x}.", "I'm talking about {x}."),
    "flight": ("It's {x}.", "I mean {x}.", "The flight is {x}.", "That's {x}."),
    "change": ("I'd like {x}.", "What I need is {x}.", "I want {x}."),
    "passenger": ("{X}.", "I need {x}.", "I'd like {x}."),
}

IDENTITY = {
    "email": ("My email is {email}.", "You can find me under {email}.", "It's {email}.", "The email on my account is {email}.", "I'm {name}, email {email}.",
              "Sure, it's {email}.", "My account email is {email}."),
    "name": ("I'm {name}, and my zip code is {zip}.", "{name}, zip {zip}.", "My name is {name} and I live in {zip}.", "It's {name}, zip code {zip}.",
             "Sure: {name}, {zip}."),
    "name_only": ("I'm {name}.", "This is {name}.", "My name is {name}.", "It's {name} here.", "Sure, I'm {name}."),
    "user_id": ("My user id is {user_id}.", "It's {user_id}.", "Sure, my user id is {user_id}.", "I'm {name}, user id {user_id}.",
                "User id {user_id}.", "You'll find me as {user_id}."),
}

CONFIRMS = (
    "Yes, please.", "Yes, go ahead.", "Yes, that's right.", "Yes, please go ahead.", "Yep, that's right.", "Yep, go ahead.",
    "Yeah, that's correct.", "Yeah, please do it.", "Sure, go ahead.", "Sure, please do.", "Yes, that's correct, please proceed.",
    "Yes, that all looks right.", "Yes, exactly.", "Yes, that's exactly it.", "Correct, please go ahead.", "That's right, go ahead.",
    "That's correct, please proceed.", "Yes, do it.", "Yes, please make the change.", "Yes, that's what I want.", "Yes, sounds good.",
    "Yep, do it.", "Yes please, go ahead.", "Yes, confirmed.", "Confirmed, go ahead.", "Yes, that works for me.", "Sure, that's right.",
    "Yes, please proceed.", "Yes, that's it.", "Yes, all correct.", "Yeah, go ahead.", "Yes, I confirm.", "Yep, all good, go ahead.",
    "Yes, thank you, please go ahead.", "That's right, please do it.", "Yes, everything is correct.", "Yes, perfect.", "Yes, that matches.",
    "Yes, I'm sure.", "Yes, please do that.", "Sure, do it.", "Correct.", "Yes, that's fine.", "Yes, please do it now.",
)

CORRECTIONS = (
    "No, that's not quite right. {x}", "Hmm, no. {x}", "Sorry, that's not what I meant. {x}", "No, wait. {x}", "That's not right. {x}",
)
CHANGES = ("Actually, sorry, one change: {x}", "Oh wait, I got that wrong. {x}", "Hang on, let me correct that. {x}")

DONT_KNOW = (
    "I'm sorry, I don't know that.", "I don't have that information, sorry.", "Sorry, I'm not sure about that.", "I'm afraid I don't know.",
    "No idea, sorry.", "I don't have that in front of me.",
)
NO_ID = (
    "I don't have the number, sorry.", "I don't know the number offhand.", "I don't have any reference number.", "Sorry, I don't remember the number.",
)
ACKS = ("Okay.", "Alright.", "Okay, thanks.", "I see.", "Got it.", "Sure.", "Okay, I'm listening.", "Right.")

THANKS = (
    "Thanks!", "Thank you.", "Great, thanks.", "Perfect, thank you.", "Thanks a lot.", "Wonderful, thanks.", "That's great, thank you.",
    "Thanks, that helps.", "Excellent, thanks.", "Good to know, thanks.", "Awesome, thank you.", "Many thanks.",
    "Thank you so much.", "Cheers, thanks.", "Lovely, thank you.", "Okay, great, thanks.", "Super, thanks.", "Nice, thank you.",
    "Appreciate it.", "Thanks, that's helpful.",
)
NEXT = ("There's one more thing.", "I have another question too.", "Also,", "While I have you,", "One more thing:", "There's something else too:",
        "And another thing:", "I also need help with something else.")
STOPS = (
    "That's all I needed.", "That's everything, bye.", "Nothing else, have a good day.", "No, that's it for today.", "That's all, goodbye.",
    "Nope, I'm all set.", "No, that covers it.", "All done, thanks again.", "I'm good, bye!", "That's it, thanks for your help.",
    "Nothing more, take care.", "No, that was everything.",
)
GIVE_UPS = ("Never mind, I'll deal with it later.", "Actually, forget it, I'll call back another time.", "On second thought, never mind.")
VAGUE = ("I need some help with my account.", "I have a question about my account.", "I'm hoping you can help me with something.",
         "I need a hand with something.", "Could you help me with something?")
