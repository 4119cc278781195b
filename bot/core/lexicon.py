"""Word lists of English itself (not of the knowledge base): words that carry no topic."""

from __future__ import annotations

QUESTION_WORDS = frozenset({"who", "what", "when", "where", "why", "how", "which", "whom", "whose"})

# Function words, and the chatter people wrap around a question in a chat channel.
STOPWORDS = frozenset(
    """
    a an the and or but if then so of to in on at by for from with about as into onto over
    under than is are was were be been being am do doe does did done doing have ha has had
    having will would shall should can could may might must it it its itself this that these
    those there here their they them he him his she her hers we us our you your yours i me my
    mine not no yes any some all each every both either neither one ones just also too very
    really quite please pls plz ok okay bot cnrpbot
    tell know wanna want need like lol lmm lmao haha hmm um uh erm well actually basically
    quick question q quickly curious wondering wonder info
    information details detail explain describe give show list let lets me
    anyone someone somebody anybody everyone everybody anything something everything
    thing things stuff kind sort bit little mate
    bro dude guys guy man fam sir maam pls kindly could would you u ur r ya yall
    again now still ever even much many more most such only own same other another
    whats who whos what when whens where wheres why whys how hows which whom whose
    """.split()
) - QUESTION_WORDS - {"many", "much", "most", "long", "now", "still"}

# Greetings and thanks: the whole of a greeting, but filler inside a question ("yo, who …").
# They weigh like filler words, yet stay correctable ("thnaks") and matchable on their own.
GREETINGS = frozenset("hi hello hey heya hiya yo sup howdy greetings morning evening thanks thank thx ty "
                      "cheers appreciated".split())

# What a "which" or "what" question wants depends on the rest of it; who/when/where/why/how
# ask for a kind of answer.
GENERIC_QUESTION_WORDS = frozenset({"what", "which"})

# "how many", "how much", "how long": numbers and durations are real distinctions.
CONTENT_QUESTION_WORDS = frozenset({"many", "much", "long"})
