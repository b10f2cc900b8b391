*** Settings ***
Documentation       Plex: the client reads server info, libraries, pages of items and search results,
...                 caches what may be cached, and reports a Plex it cannot reach.
Resource            ../resources/plex.resource

Suite Setup         Mock Plex Is Started
Test Setup          Plex Is Healthy And The Client Is New
Test Tags           plex


*** Test Cases ***
Client Connects To Plex
    [Documentation]    The server info names the mock server and its version, from one request.
    When The Plex Server Info Is Requested
    Then The Plex Server Should Be The Mock
    And The Plex Service Should Have Received 1 Request(s) To    /

Unreachable Plex Is Reported As Unavailable
    [Documentation]    Connection refused reaches the caller as ServiceUnavailableError naming plex, and counts once on the breaker.
    [Tags]    unavailable
    Given The Plex Service Is Unreachable
    Then Plex Should Be Reported Unavailable
    And The Plex Circuit Breaker Should Have Counted 1 Failures And 0 Rejections

Libraries Are Listed
    [Documentation]    Both sections of the default library, in order, from one request.
    When The Plex Libraries Are Requested
    Then The Plex Libraries Should Be    Movies    TV Shows
    And The Plex Libraries Should Be Fresh
    And The Plex Service Should Have Received 1 Request(s) To    /library/sections

Items Are Read One Page At A Time
    [Documentation]    Ten items from offset 20 of the 100 movies, from one request.
    When A Page Of Plex Movies Is Requested    offset=20    limit=10
    Then The Plex Page Should Hold    size=10    total=100    offset=20
    And The Plex Service Should Have Received 1 Request(s) To    /library/sections/1/all

Cached Libraries Are Served Without A Second Request
    [Documentation]    A second read within the cache TTL answers from the cache: still one request, not stale.
    When The Plex Libraries Are Requested
    And The Plex Libraries Are Requested
    Then The Plex Libraries Should Be    Movies    TV Shows
    And The Plex Libraries Should Be Fresh
    And The Plex Service Should Have Received 1 Request(s) To    /library/sections

Cached Libraries Are Served For Exactly The Cache TTL
    [Documentation]    59 seconds after a read the cache still answers; at 60 seconds the next read goes to Plex again.
    Given The Plex Libraries Are Requested
    When 59 Seconds Pass
    And The Plex Libraries Are Requested
    Then The Plex Service Should Have Received 1 Request(s) To    /library/sections
    When 1 Second Passes
    And The Plex Libraries Are Requested
    Then The Plex Libraries Should Be Fresh
    And The Plex Service Should Have Received 2 Request(s) To    /library/sections

Search Finds A Title
    [Documentation]    A title that exists once is found once.
    When Plex Is Searched For    ${PLEX_UNIQUE_TITLE}
    Then The Plex Search Should Have Found Only    ${PLEX_UNIQUE_TITLE}
    And The Plex Service Should Have Received 1 Request(s) To    /hubs/search

Empty Search Sends No Request
    [Documentation]    A blank query returns nothing without asking Plex.
    When Plex Is Searched For    ${SPACE}
    Then The Plex Search Should Have Found Nothing
    And The Plex Service Should Have Received 0 Request(s) To    /*
