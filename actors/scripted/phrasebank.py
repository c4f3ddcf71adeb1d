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
}

OPAQUE = ("Here's what I need: {x}", "I'm calling because of this: {x}", "So, {x}")

INFORMS = {
    "method": ("Please use {x}.", "I'd like to use {x}.", "Put it on {x}.", "{X}, please.", "Let's go with {x}.", "I'll use {x}.", "Use {x}, please."),
    "refund": ("The refund should go to {x}.", "Please refund it to {x}.", "Send the money back to {x}.", "I'd like the refund on {x}.", "{X} for the refund, please."),
    "reason": ("{X}.", "Because {x}.", "The reason is that {x}.", "Honestly, {x}.", "Well, {x}."),
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
