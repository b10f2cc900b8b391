"""Overseerr's ``MovieDetails`` and ``TvDetails`` JSON for catalogue entries."""

from __future__ import annotations

from typing import Any

from .catalogue import GENRES, CatalogueEntry

__all__ = ["movie_details", "tv_details"]


def _genres(entry: CatalogueEntry) -> list[dict[str, Any]]:
    return [{"id": gid, "name": GENRES.get(gid, "Unknown")} for gid in entry.result["genreIds"]]


def movie_details(entry: CatalogueEntry) -> dict[str, Any]:
    """``GET /movie/{id}`` without ``mediaInfo`` (the app adds it when the movie was requested)."""
    r = entry.result
    return {
        "id": entry.tmdb_id, "imdbId": entry.imdb_id, "adult": False, "backdropPath": r["backdropPath"],
        "posterPath": r["posterPath"], "budget": 0, "genres": _genres(entry), "homepage": None,
        "originalLanguage": r["originalLanguage"], "originalTitle": r["originalTitle"], "overview": r["overview"],
        "popularity": r["popularity"], "productionCompanies": [], "productionCountries": [],
        "releaseDate": r["releaseDate"], "releases": {"results": []}, "revenue": 0, "runtime": 120,
        "spokenLanguages": [{"englishName": "English", "iso_639_1": "en", "name": "English"}],
        "status": "Released", "tagline": None, "title": r["title"], "video": False,
        "voteAverage": r["voteAverage"], "voteCount": r["voteCount"], "credits": {"cast": [], "crew": []},
        "collection": None, "externalIds": {"imdbId": entry.imdb_id, "facebookId": None, "instagramId": None,
                                            "twitterId": None},
        "relatedVideos": [], "watchProviders": [], "keywords": [],
    }


def tv_details(entry: CatalogueEntry) -> dict[str, Any]:
    """``GET /tv/{id}`` without ``mediaInfo`` (the app adds it when the show was requested)."""
    r = entry.result
    seasons = [{"id": entry.tmdb_id * 100 + n, "airDate": None, "episodeCount": 10, "name": f"Season {n}",
                "overview": "", "posterPath": None, "seasonNumber": n}
               for n in range(1, entry.number_of_seasons + 1)]
    return {
        "id": entry.tmdb_id, "backdropPath": r["backdropPath"], "posterPath": r["posterPath"],
        "contentRatings": {"results": []}, "createdBy": [], "episodeRunTime": [45],
        "firstAirDate": r["firstAirDate"], "genres": _genres(entry), "homepage": None, "inProduction": False,
        "languages": ["en"], "lastAirDate": None, "lastEpisodeToAir": None, "name": r["name"],
        "nextEpisodeToAir": None, "networks": [], "numberOfEpisodes": 10 * entry.number_of_seasons,
        "numberOfSeasons": entry.number_of_seasons, "originCountry": r["originCountry"],
        "originalLanguage": r["originalLanguage"], "originalName": r["originalName"], "overview": r["overview"],
        "popularity": r["popularity"], "productionCompanies": [], "productionCountries": [],
        "spokenLanguages": [{"englishName": "English", "iso_639_1": "en", "name": "English"}],
        "seasons": seasons, "status": "Ended", "tagline": None, "type": "Scripted",
        "voteAverage": r["voteAverage"], "voteCount": r["voteCount"], "credits": {"cast": [], "crew": []},
        "externalIds": {"imdbId": entry.imdb_id, "tvdbId": entry.tvdb_id, "facebookId": None, "instagramId": None,
                        "twitterId": None},
        "keywords": [], "relatedVideos": [], "watchProviders": [],
    }
