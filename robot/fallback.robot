*** Settings ***
Documentation       Fallback: when a read fails or the breaker is open, the client serves the last good value,
...                 marked stale; with nothing cached the caller gets the typed error.
...                 Each test reads once, then lets the cache TTL (${CACHE_TTL}) pass on the test clock: the cache
...                 keeps only the last good value, and the next read goes out.
Resource            ../resources/plex.resource
Resource            ../resources/overseerr.resource

Suite Setup         Mock Plex And Overseerr Are Started
Test Setup          Plex Is Healthy And The Client Is New
Test Tags           fallback


*** Test Cases ***
Cached Libraries Are Served Stale While The Breaker Is Open
    [Documentation]    The open breaker rejects the call without a request; the last good libraries come back, stale.
    [Tags]    plex    circuit-breaker
    Given The Plex Libraries Were Read A Minute Ago
    And The Plex Circuit Breaker Has Been Opened
    When The Plex Libraries Are Requested
    Then The Plex Libraries Should Be Stale
    And The Plex Libraries Should Be    Movies    TV Shows
    And The Plex Circuit Breaker Should Have Counted ${FAIL_MAX} Failures And 1 Rejections
    And Every Plex Answer While Its Breaker Was Open Should Have Been Stale
    And No Request Should Have Reached Plex While Its Breaker Was Open

Cached Libraries Are Served Stale When Plex Fails
    [Documentation]    Every attempt fails; the last good libraries come back, stale, and the failure counts once.
    [Tags]    plex    retry
    Given The Plex Libraries Were Read A Minute Ago
    And The Plex Service Answers Every Request With 503
    When The Plex Libraries Are Requested
    Then The Plex Libraries Should Be Stale
    And The Plex Libraries Should Be    Movies    TV Shows
    And The Plex Circuit Breaker Should Have Counted 1 Failures And 0 Rejections
    And The Plex Service Should Have Received ${GOOD_AND_FAILED_READ_REQUESTS} Request(s) To    /library/sections

Fresh Data Follows Stale Data Once Plex Answers Again
    [Documentation]    Stale while Plex fails, fresh again as soon as it answers.
    [Tags]    plex
    Given The Plex Libraries Were Read A Minute Ago
    And The Plex Service Answers Every Request With 503
    When The Plex Libraries Are Requested
    Then The Plex Libraries Should Be Stale
    When The Plex Service Has Recovered
    And The Plex Libraries Are Requested
    Then The Plex Libraries Should Be Fresh
    And The Plex Service Should Have Answered 2 Request(s) With 200 To    /library/sections

Nothing Cached Means The Open Breaker Error Reaches The Caller
    [Documentation]    With no last good value, the caller gets CircuitOpenError and Plex sees no request.
    [Tags]    plex    circuit-breaker
    Given The Plex Circuit Breaker Has Been Opened
    Then Plex Should Fail Fast With An Open Circuit    get libraries
    And No Request Should Have Reached Plex While Its Breaker Was Open

Cached Search Is Served Stale While The Overseerr Breaker Is Open
    [Documentation]    The same fallback for Overseerr: the last good search comes back, stale, without a request.
    [Tags]    overseerr    circuit-breaker
    Given The Overseerr Search Was Done A Minute Ago
    And The Overseerr Circuit Breaker Has Been Opened
    When Overseerr Is Searched For
    Then The Overseerr Search Result Should Be Stale
    And The Matrix Search Should Be Complete
    And Every Overseerr Answer While Its Breaker Was Open Should Have Been Stale
    And No Request Should Have Reached Overseerr While Its Breaker Was Open
