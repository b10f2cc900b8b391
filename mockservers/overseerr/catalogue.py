"""The fixed TMDB-like catalogue the mock Overseerr searches and requests against.

Deterministic on purpose: the same titles, ids and numbers on every run, so
tests can count results. 50 movies, 24 shows and 6 persons; ``"the"``
matches more than 20 of them, so its search has a second page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CatalogueEntry", "Catalogue", "CATALOGUE", "GENRES", "IMAGE_BASE"]

IMAGE_BASE = "https://image.tmdb.org/t/p/w600_and_h900_bestv2"

GENRES: dict[int, str] = {
    12: "Adventure", 14: "Fantasy", 16: "Animation", 18: "Drama", 27: "Horror", 28: "Action", 35: "Comedy",
    36: "History", 53: "Thriller", 80: "Crime", 878: "Science Fiction", 9648: "Mystery", 10402: "Music",
    10749: "Romance", 10751: "Family", 10752: "War", 10759: "Action & Adventure", 10765: "Sci-Fi & Fantasy",
    10768: "War & Politics",
}

# (tmdb id, title, release date, genre ids, popularity, vote average)
_MOVIES: tuple[tuple[int, str, str, tuple[int, ...], float, float], ...] = (
    (603, "The Matrix", "1999-03-30", (28, 878), 81.2, 8.2),
    (604, "The Matrix Reloaded", "2003-05-15", (28, 878, 12), 40.3, 7.1),
    (605, "The Matrix Revolutions", "2003-11-05", (28, 878, 12), 35.8, 6.7),
    (550, "Fight Club", "1999-10-15", (18, 53), 73.4, 8.4),
    (680, "Pulp Fiction", "1994-09-10", (53, 80), 68.9, 8.5),
    (155, "The Dark Knight", "2008-07-16", (18, 28, 80), 92.5, 8.5),
    (272, "Batman Begins", "2005-06-10", (28, 80, 18), 45.1, 7.7),
    (49026, "The Dark Knight Rises", "2012-07-17", (28, 80, 18), 60.7, 7.8),
    (27205, "Inception", "2010-07-15", (28, 878, 12), 88.3, 8.4),
    (157336, "Interstellar", "2014-11-05", (12, 18, 878), 140.6, 8.4),
    (13, "Forrest Gump", "1994-06-23", (35, 18, 10749), 62.0, 8.5),
    (278, "The Shawshank Redemption", "1994-09-23", (18, 80), 99.1, 8.7),
    (238, "The Godfather", "1972-03-14", (18, 80), 95.4, 8.7),
    (240, "The Godfather Part II", "1974-12-20", (18, 80), 51.6, 8.6),
    (424, "Schindler's List", "1993-12-15", (18, 36, 10752), 48.2, 8.6),
    (120, "The Lord of the Rings: The Fellowship of the Ring", "2001-12-18", (12, 14, 28), 87.0, 8.4),
    (121, "The Lord of the Rings: The Two Towers", "2002-12-18", (12, 14, 28), 76.5, 8.4),
    (122, "The Lord of the Rings: The Return of the King", "2003-12-01", (12, 14, 28), 84.8, 8.5),
    (11, "Star Wars", "1977-05-25", (12, 28, 878), 70.3, 8.2),
    (1891, "The Empire Strikes Back", "1980-05-20", (12, 28, 878), 41.9, 8.4),
    (1892, "Return of the Jedi", "1983-05-25", (12, 28, 878), 38.4, 7.9),
    (105, "Back to the Future", "1985-07-03", (12, 35, 878), 55.5, 8.3),
    (329, "Jurassic Park", "1993-06-11", (12, 878), 47.7, 7.9),
    (597, "Titanic", "1997-11-18", (18, 10749), 101.4, 7.9),
    (98, "Gladiator", "2000-05-04", (28, 18, 12), 79.9, 8.2),
    (85, "Raiders of the Lost Ark", "1981-06-12", (12, 28), 36.6, 7.9),
    (218, "The Terminator", "1984-10-26", (28, 53, 878), 44.0, 7.7),
    (280, "Terminator 2: Judgment Day", "1991-07-03", (28, 53, 878), 52.3, 8.1),
    (78, "Blade Runner", "1982-06-25", (878, 18, 53), 39.5, 7.9),
    (335984, "Blade Runner 2049", "2017-10-04", (878, 18), 57.0, 7.6),
    (348, "Alien", "1979-05-25", (27, 878), 43.2, 8.1),
    (679, "Aliens", "1986-07-18", (28, 53, 878), 37.1, 7.9),
    (862, "Toy Story", "1995-11-22", (16, 12, 10751, 35), 90.2, 8.0),
    (12, "Finding Nemo", "2003-05-30", (16, 10751), 66.8, 7.8),
    (129, "Spirited Away", "2001-07-20", (16, 10751, 14), 74.6, 8.5),
    (8587, "The Lion King", "1994-06-24", (10751, 16, 18), 83.7, 8.3),
    (24428, "The Avengers", "2012-04-25", (878, 28, 12), 97.9, 7.7),
    (299536, "Avengers: Infinity War", "2018-04-25", (12, 28, 878), 121.0, 8.2),
    (299534, "Avengers: Endgame", "2019-04-24", (12, 878, 28), 110.5, 8.3),
    (438631, "Dune", "2021-09-15", (878, 12), 130.8, 7.8),
    (693134, "Dune: Part Two", "2024-02-27", (878, 12), 150.2, 8.2),
    (274, "The Silence of the Lambs", "1991-02-01", (80, 18, 53, 27), 58.4, 8.3),
    (807, "Se7en", "1995-09-22", (80, 9648, 53), 64.1, 8.4),
    (769, "GoodFellas", "1990-09-12", (18, 80), 46.5, 8.5),
    (1124, "The Prestige", "2006-10-17", (18, 9648, 878), 53.3, 8.2),
    (77, "Memento", "2000-10-11", (9648, 53), 34.9, 8.2),
    (496243, "Parasite", "2019-05-30", (35, 53, 18), 78.1, 8.5),
    (313369, "La La Land", "2016-11-29", (35, 18, 10749, 10402), 49.6, 7.9),
    (76341, "Mad Max: Fury Road", "2015-05-13", (28, 12, 878), 61.2, 7.6),
    (694, "The Shining", "1980-05-23", (27, 53), 56.9, 8.2),
)

# (tmdb id, tvdb id, name, first air date, genre ids, popularity, vote average, number of seasons)
_SHOWS: tuple[tuple[int, int, str, str, tuple[int, ...], float, float, int], ...] = (
    (1396, 81189, "Breaking Bad", "2008-01-20", (18, 80), 180.4, 8.9, 5),
    (1399, 121361, "Game of Thrones", "2011-04-17", (10765, 18, 10759), 250.1, 8.4, 8),
    (2316, 73244, "The Office", "2005-03-24", (35,), 160.3, 8.6, 9),
    (66732, 305288, "Stranger Things", "2016-07-15", (18, 10765, 9648), 210.7, 8.6, 4),
    (1398, 75299, "The Sopranos", "1999-01-10", (18, 80), 95.2, 8.6, 6),
    (1438, 79126, "The Wire", "2002-06-02", (80, 18), 88.0, 8.6, 5),
    (82856, 361753, "The Mandalorian", "2019-11-12", (10765, 10759, 18), 140.9, 8.4, 3),
    (65494, 305574, "The Crown", "2016-11-04", (18,), 99.5, 8.2, 6),
    (100088, 392256, "The Last of Us", "2023-01-15", (18,), 230.6, 8.6, 2),
    (76479, 355567, "The Boys", "2019-07-25", (10765, 10759), 190.8, 8.5, 4),
    (63639, 280619, "The Expanse", "2015-12-14", (18, 9648, 10765), 85.3, 8.2, 6),
    (1668, 79168, "Friends", "1994-09-22", (35,), 170.2, 8.4, 10),
    (19885, 176941, "Sherlock", "2010-07-25", (80, 18, 9648), 90.6, 8.5, 4),
    (87108, 360893, "Chernobyl", "2019-05-06", (18,), 70.4, 8.7, 1),
    (60059, 273181, "Better Call Saul", "2015-02-08", (80, 18), 120.0, 8.7, 6),
    (70523, 334824, "Dark", "2017-12-01", (80, 18, 9648, 10765), 75.9, 8.4, 3),
    (95396, 371980, "Severance", "2022-02-17", (18, 9648, 10765), 110.1, 8.4, 2),
    (76331, 333072, "Succession", "2018-06-03", (18,), 80.8, 8.3, 4),
    (46648, 270633, "True Detective", "2014-01-12", (18, 80, 9648), 65.7, 8.3, 4),
    (60622, 269613, "Fargo", "2014-04-15", (80, 18), 60.5, 8.3, 5),
    (456, 71663, "The Simpsons", "1989-12-17", (10751, 16, 35), 300.2, 8.0, 35),
    (4607, 73739, "Lost", "2004-09-22", (9648, 10759, 18), 95.0, 7.9, 6),
    (63247, 296762, "Westworld", "2016-10-02", (10765, 10759, 18), 72.2, 8.0, 4),
    (4613, 74205, "Band of Brothers", "2001-09-09", (18, 10768, 36), 58.1, 8.5, 1),
)

# (tmdb id, name, popularity, known-for (media type, tmdb id) pairs)
_PERSONS: tuple[tuple[int, str, float, tuple[tuple[str, int], ...]], ...] = (
    (6384, "Keanu Reeves", 95.3, (("movie", 603), ("movie", 604))),
    (530, "Carrie-Anne Moss", 30.2, (("movie", 603), ("movie", 77))),
    (525, "Christopher Nolan", 40.8, (("movie", 155), ("movie", 27205), ("movie", 157336))),
    (17419, "Bryan Cranston", 45.6, (("tv", 1396),)),
    (10297, "Matthew McConaughey", 50.1, (("movie", 157336), ("tv", 46648))),
    (1810, "Heath Ledger", 35.4, (("movie", 155),)),
)


@dataclass(frozen=True)
class CatalogueEntry:
    """One movie, show or person, with its search-result and detail JSON."""

    tmdb_id: int
    media_type: str  # movie | tv | person
    title: str
    popularity: float
    result: dict[str, Any] = field(compare=False)
    tvdb_id: int | None = None
    imdb_id: str | None = None
    number_of_seasons: int = 0
    year: str = ""

    @property
    def poster_path(self) -> str | None:
        """The TMDB poster path (``None`` for persons)."""
        return self.result.get("posterPath")

    @property
    def overview(self) -> str:
        """The one-paragraph description ('' for persons)."""
        return self.result.get("overview", "")


def _shared_result(tmdb_id: int, media_type: str, title: str, date: str, genres: tuple[int, ...],
                   popularity: float, vote: float, noun: str) -> dict[str, Any]:
    """The search-result fields movies and shows have in common, in TMDB's order."""
    return {
        "id": tmdb_id, "mediaType": media_type, "popularity": popularity,
        "posterPath": f"/mock-poster-{media_type}-{tmdb_id}.jpg",
        "backdropPath": f"/mock-backdrop-{media_type}-{tmdb_id}.jpg",
        "voteCount": int(vote * 1000) + tmdb_id % 9973, "voteAverage": vote, "genreIds": list(genres),
        "overview": f"{title} ({date[:4]}), a {noun} from the mock Overseerr catalogue.",
        "originalLanguage": "en",
    }


def _movie(tmdb_id: int, title: str, date: str, genres: tuple[int, ...], popularity: float,
           vote: float) -> CatalogueEntry:
    result = {**_shared_result(tmdb_id, "movie", title, date, genres, popularity, vote, "film"),
              "title": title, "originalTitle": title, "releaseDate": date, "adult": False, "video": False}
    return CatalogueEntry(tmdb_id, "movie", title, popularity, result, imdb_id=f"tt{tmdb_id:07d}", year=date[:4])


def _show(tmdb_id: int, tvdb_id: int, name: str, date: str, genres: tuple[int, ...], popularity: float,
          vote: float, seasons: int) -> CatalogueEntry:
    result = {**_shared_result(tmdb_id, "tv", name, date, genres, popularity, vote, "series"),
              "name": name, "originalName": name, "originCountry": ["US"], "firstAirDate": date}
    return CatalogueEntry(tmdb_id, "tv", name, popularity, result, tvdb_id=tvdb_id, imdb_id=f"tt{tmdb_id:07d}",
                          number_of_seasons=seasons, year=date[:4])


class Catalogue:
    """Lookup and search over the fixed entries (read-only, so thread-safe)."""

    def __init__(self) -> None:
        self.movies = {row[0]: _movie(*row) for row in _MOVIES}
        self.shows = {row[0]: _show(*row) for row in _SHOWS}
        self.persons: dict[int, CatalogueEntry] = {}
        for tmdb_id, name, popularity, known_for in _PERSONS:
            result = {"id": tmdb_id, "mediaType": "person", "name": name, "popularity": popularity,
                      "profilePath": f"/mock-profile-{tmdb_id}.jpg", "adult": False,
                      "knownFor": [dict(self.get(kind, known).result) for kind, known in known_for]}
            self.persons[tmdb_id] = CatalogueEntry(tmdb_id, "person", name, popularity, result)
        everything = [*self.movies.values(), *self.shows.values(), *self.persons.values()]
        # TMDB's multi search orders by popularity
        self._ordered = sorted(everything, key=lambda e: (-e.popularity, e.media_type, e.tmdb_id))

    def get(self, media_type: str, tmdb_id: int) -> CatalogueEntry:
        """The movie (``movie``), show (``tv``) or person; ``KeyError`` if there is none."""
        table = {"movie": self.movies, "tv": self.shows, "person": self.persons}.get(media_type)
        if table is None or tmdb_id not in table:
            raise KeyError(f"no {media_type} with TMDB id {tmdb_id} in the mock catalogue")
        return table[tmdb_id]

    def search(self, query: str) -> list[CatalogueEntry]:
        """Entries whose title/name contains ``query`` (case-insensitive), most popular first."""
        needle = query.casefold()
        return [entry for entry in self._ordered if needle in entry.title.casefold()]

    def __len__(self) -> int:
        return len(self._ordered)


CATALOGUE = Catalogue()
