*** Settings ***
Documentation       Four tests written from the README and the keyword docs alone (see "Write your first resilience
...                 test" in the README): each is a complete scenario built from existing domain keywords.
...
...                 The suite starts every mock and the dashboard once; each test starts from healthy mocks, a
...                 connected Uptime Kuma client, new Plex and Overseerr clients and a status service built on
...                 them (`The Dashboard Starts From A Clean State`).

Resource            ../resources/dashboard.resource
Resource            ../resources/plex.resource

Suite Setup         The Dashboard Watches Plex And Overseerr Through Uptime Kuma
Test Setup          The Dashboard Starts From A Clean State
Test Teardown       The Client Disconnects From Uptime Kuma

Test Tags           example


*** Test Cases ***
Overseerr Search Succeeds Under 50 Percent Seeded Failures
    [Documentation]    Half the requests fail, decided by seed 7: the search's first two attempts get 503, the third
    ...    answers. The caller gets the full, fresh result and the breaker counts no failure.
    [Tags]    overseerr    partial-failure    retry
    Given The Overseerr Service Fails 50 % Of Requests With Seed 7
    And The Seed Makes The Next 3 Overseerr Requests Go    fail    fail    pass
    When Overseerr Is Searched For    Matrix
    Then The Matrix Search Should Be Complete
    And The Overseerr Search Result Should Be Fresh
    And The Overseerr Service Should Have Answered 2 Request(s) With 503 To    /api/v1/search
    And The Overseerr Circuit Breaker Should Have Counted 0 Failures And 0 Rejections

Plex Is Served Stale While Down And Fresh After Recovery
    [Documentation]    While Plex refuses connections the last good libraries come back, stale, saying why; once
    ...    Plex is reachable again the next read is fresh.
    [Tags]    plex    fallback    recovery
    Given The Plex Libraries Were Read A Minute Ago
    And The Plex Service Is Unreachable
    When The Plex Libraries Are Requested
    Then The Plex Libraries Should Be Stale Because    connection refused
    And The Plex Libraries Should Be    Movies    TV Shows
    When The Plex Service Is Reachable Again
    And The Plex Libraries Are Requested
    Then The Plex Libraries Should Be Fresh

Dashboard Shows Overseerr Degraded While Its Breaker Is Open
    [Documentation]    Uptime Kuma still reports Overseerr UP, but the test's own Overseerr breaker is open: the
    ...    dashboard counts the open breaker and shows Overseerr degraded (see the status rules).
    [Tags]    dashboard    circuit-breaker    overseerr
    Given The Overseerr Circuit Breaker Has Been Opened
    When An Admin Reads The Dashboard
    Then The Summary Should Show    circuitBreakersOpen=1    servicesDegraded=1    servicesUp=2
    And The Dashboard Should Show Overseerr As Degraded

Status Comes Back From Uptime Kuma After It Drops Its Sockets
    [Documentation]    Uptime Kuma disconnects every client; after the 1 s reconnect backoff (let pass on the test
    ...    clock) the client is back, logged in, and the status service reads Uptime Kuma again.
    [Tags]    uptime-kuma    recovery
    When Uptime Kuma Drops All Connections
    And 1 Second Passes
    Then The Client Should Reconnect And Log In Again
    And The Status Of Plex Should Be Up From Uptime Kuma
    And The Status Of Overseerr Should Be Up From Uptime Kuma
