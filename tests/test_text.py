"""domains.text's tokens: what one occurrence of a word is marked with (a pause before it, money) stays with that text."""

from domains.text import keys, tokens


def test_marks_of_one_occurrence_do_not_reach_the_same_word_elsewhere():
    first = tokens("Refund it, 200 dollars to the card")  # "200" is money, "200" follows a pause
    again = tokens("You have 200 points and usd 15")
    number = next(token for token in first if token.key == "200")
    assert number.money and number.pause
    later = next(token for token in again if token.key == "200")
    assert not later.money and not later.pause  # the word classified once, its marks per text
    assert next(token for token in again if token.key == "15").money  # "USD 15"
    assert tokens("You have 200 points and usd 15") is again  # texts are cached as wholes too
    assert keys("Boxes, 1,234.50 and $7") == ("box", "1234.5", "and", "7")
    assert [t.pause for t in tokens("a, b c; d")] == [False, True, False, True]
