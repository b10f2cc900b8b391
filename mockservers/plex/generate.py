"""Deterministic, plausible library content: the default 100 movies and 100 shows.

Everything comes from one :class:`random.Random` seeded by the caller, drawn in a
fixed order, so the same seed always gives the same titles, years, genres and
ratingKeys. The output is plain fixture-shaped dicts (see :mod:`.data`).
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["BASE_EPOCH", "generate_items", "hex_id"]

#: "now" for generated data (2024-01-01T00:00:00Z): no wall clock, so runs are repeatable
BASE_EPOCH = 1_704_067_200

ADJECTIVES = (
    "Silent", "Broken", "Golden", "Hidden", "Last", "Crimson", "Frozen", "Wild", "Lost", "Electric",
    "Midnight", "Burning", "Hollow", "Iron", "Distant", "Savage", "Secret", "Endless", "Bitter", "Velvet",
    "Northern", "Quiet", "Shattered", "Wandering", "Restless", "Scarlet", "Forgotten", "Brave", "Dark", "Bright",
)
NOUNS = (
    "River", "Empire", "Horizon", "Garden", "Harbor", "Signal", "Kingdom", "Shadow", "Orchard", "Frontier",
    "Lantern", "Mirror", "Voyage", "Citadel", "Tide", "Storm", "Station", "Circuit", "Valley", "Crown",
    "Machine", "Canyon", "Witness", "Archive", "Compass", "Island", "Heist", "Summer", "Winter", "Protocol",
)
PLACES = ("Berlin", "Avalon", "Tokyo", "Cairo", "Dakota", "Lisbon", "Havana", "Sahara", "Oslo", "Memphis")
MOVIE_GENRES = ("Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Family",
                "Fantasy", "History", "Horror", "Music", "Mystery", "Romance", "Science Fiction", "Thriller",
                "War", "Western")
SHOW_GENRES = ("Action", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Mystery", "Reality",
               "Sci-Fi & Fantasy", "Thriller", "Kids")
STUDIOS = ("Paramount", "Warner Bros.", "Universal Pictures", "A24", "Lionsgate", "Focus Features",
           "Columbia Pictures", "Neon", "Searchlight Pictures", "Legendary")
NETWORKS = ("HBO", "AMC", "BBC One", "Netflix", "FX", "Apple TV+", "Channel 4", "Hulu")
MOVIE_RATINGS = ("G", "PG", "PG-13", "R", "NR")
SHOW_RATINGS = ("TV-G", "TV-PG", "TV-14", "TV-MA")
FIRST_NAMES = ("Ava", "Noah", "Mira", "Tomas", "Ines", "Kenji", "Lena", "Omar", "Greta", "Pablo", "Sana",
               "Viktor", "Chloe", "Ravi", "Agnes", "Dario")
LAST_NAMES = ("Lindqvist", "Okafor", "Moreau", "Tanaka", "Alvarez", "Novak", "Brennan", "Haddad", "Kowalski",
              "Ferreira", "Nakamura", "Osei", "Whitlock", "Sorensen")
TAGLINES = ("Some doors should stay closed.", "Every ending is a beginning.", "No one gets out alone.",
            "The truth has a price.", "Home is further than it looks.", "One night changes everything.")


def hex_id(rng: random.Random, digits: int = 24) -> str:
    """``digits`` lowercase hex characters (Plex's ``plex://movie/<24 hex>`` ids)."""
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def _title(rng: random.Random) -> str:
    adjective, noun, other = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(NOUNS)
    pattern = rng.randrange(6)
    if pattern == 0:
        return f"The {adjective} {noun}"
    if pattern == 1:
        return f"{noun} of the {other}" if noun != other else f"{noun} of {rng.choice(PLACES)}"
    if pattern == 2:
        return f"{adjective} {noun}"
    if pattern == 3:
        return f"{noun} in {rng.choice(PLACES)}"
    if pattern == 4:
        return f"The {noun}"
    return f"{adjective} {noun} {rng.choice(('II', '2', 'Returns', 'Rising'))}"


def _unique_title(rng: random.Random, taken: set[str]) -> str:
    for _ in range(1000):
        title = _title(rng)
        if title.casefold() not in taken:
            taken.add(title.casefold())
            return title
    raise RuntimeError("could not generate a unique title")  # pragma: no cover - 27,000+ combinations


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _date(rng: random.Random, year: int) -> str:
    return f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _summary(rng: random.Random, title: str, genre: str) -> str:
    who = rng.choice(("a retired detective", "two estranged sisters", "a young engineer", "a travelling band",
                      "an exiled prince", "a small-town doctor", "a crew of misfits", "a stubborn archivist"))
    what = rng.choice(("uncover a conspiracy", "chase a vanished fortune", "survive one impossible winter",
                       "rebuild what the war destroyed", "outrun a past that will not stay buried",
                       "solve the riddle of a silent city"))
    return f"In this {genre.lower()} tale, {who} must {what}. {title} is a story about what we keep and what we lose."


def _basics(rng: random.Random, taken: set[str], kind: str, first_year: int, genre_pool: tuple[str, ...],
            max_genres: int, studios: tuple[str, ...], ratings: tuple[str, ...], rating: tuple[float, float],
            audience: tuple[float, float]) -> dict[str, Any]:
    """The fields movies and shows share, drawn in one fixed order (the order keeps seeds stable)."""
    title = _unique_title(rng, taken)
    year = rng.randint(first_year, 2023)
    genres = rng.sample(genre_pool, rng.randint(1, max_genres))
    return {
        "title": title,
        "year": year,
        "guid": f"plex://{kind}/{hex_id(rng)}",
        "studio": rng.choice(studios),
        "contentRating": rng.choice(ratings),
        "summary": _summary(rng, title, genres[0]),
        "rating": round(rng.uniform(*rating), 1),
        "audienceRating": round(rng.uniform(*audience), 1),
        "genres": genres,
    }


def _added_at(rng: random.Random) -> int:
    return BASE_EPOCH - rng.randint(86_400, 3 * 365 * 86_400)


def _movie(rng: random.Random, taken: set[str]) -> dict[str, Any]:
    movie = _basics(rng, taken, "movie", 1972, MOVIE_GENRES, 3, STUDIOS, MOVIE_RATINGS, (4.0, 9.6), (3.5, 9.8))
    movie["tagline"] = rng.choice(TAGLINES)
    movie["duration"] = rng.randint(80, 170) * 60_000 + rng.randint(0, 59) * 1000
    movie["originallyAvailableAt"] = _date(rng, movie["year"])
    movie["addedAt"] = _added_at(rng)
    movie["directors"] = [_person(rng)]
    movie["guids"] = [f"imdb://tt{rng.randint(100_000, 9_999_999):07d}", f"tmdb://{rng.randint(1000, 999_999)}"]
    return movie


def _show(rng: random.Random, taken: set[str]) -> dict[str, Any]:
    show = _basics(rng, taken, "show", 1990, SHOW_GENRES, 2, NETWORKS, SHOW_RATINGS, (5.0, 9.5), (4.5, 9.8))
    show["duration"] = rng.choice((22, 30, 45, 55, 60)) * 60_000
    show["originallyAvailableAt"] = _date(rng, show["year"])
    show["addedAt"] = _added_at(rng)
    show["guids"] = [f"imdb://tt{rng.randint(100_000, 9_999_999):07d}", f"tmdb://{rng.randint(1000, 299_999)}",
                     f"tvdb://{rng.randint(70_000, 450_000)}"]
    show["seasons"] = [rng.randint(6, 12) for _ in range(rng.randint(1, 4))]
    return show


def generate_items(section_type: str, count: int, rng: random.Random,
                   taken: set[str] | None = None) -> list[dict[str, Any]]:
    """``count`` fixture-shaped items of ``section_type`` (``movie`` or ``show``), titles unique in ``taken``."""
    taken = set() if taken is None else taken
    make = _movie if section_type == "movie" else _show
    return [make(rng, taken) for _ in range(count)]


def episode_title(rng: random.Random) -> str:
    """A plausible episode title."""
    return rng.choice((f"The {rng.choice(NOUNS)}", f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}",
                       f"Return to {rng.choice(PLACES)}", f"{rng.choice(NOUNS)}s"))
