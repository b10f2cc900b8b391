*** Settings ***
Documentation       The resilience scenarios on the wall clock, with small settings: breakers, caches, retries and
...                 reconnects also work when time really passes. The clients read the companion's own wall clock,
...                 as in production; nothing moves time. These tests wait on purpose (about 1.5 s in all) and prove
...                 the wiring to real time that the other suites skip.

Resource            ../resources/plex.resource
Resource            ../resources/uptime_kuma.resource

Suite Setup         Every Mock Runs And The Clients Use The Wall Clock
Test Setup          Plex Is Healthy And The Client Is New

Test Tags           real-clock


*** Variables ***
${SMALL_RESET_TIMEOUT}      300ms
${SMALL_CACHE_TTL}          200ms
${SMALL_RETRY_BACKOFF}      10ms


*** Test Cases ***
Breaker Turns Half-Open After A Real Reset Timeout And Closes On Success
    [Documentation]    Opened by ${FAIL_MAX} failed calls, the breaker lets a probe through once ${SMALL_RESET_TIMEOUT} have
    ...    really passed; the probe succeeds and the breaker closes.
    [Tags]    circuit-breaker    plex    recovery
    Given The Plex Client Uses    reset_timeout=${SMALL_RESET_TIMEOUT}    retry_backoff=${SMALL_RETRY_BACKOFF}
    ...    retry_max_backoff=${SMALL_RETRY_BACKOFF}
    And The Plex Circuit Breaker Has Been Opened
    And The Plex Service Has Recovered
    When The Plex Circuit Breaker Becomes Half-Open
    And The Plex Server Info Is Requested
    Then The Plex Server Should Be The Mock
    And The Plex Circuit Breaker Should Be Closed

Cached Libraries Expire After A Real Cache TTL
    [Documentation]    Read once, the libraries come from the cache until ${SMALL_CACHE_TTL} have really passed; then Plex is
    ...    asked again.
    [Tags]    plex
    Given The Plex Client Uses    cache_ttl=${SMALL_CACHE_TTL}
    And The Plex Libraries Are Requested
    When The Plex Libraries Are Read Until Plex Is Asked Again
    Then The Plex Libraries Should Be Fresh
    And The Plex Service Should Have Received 2 Request(s) To    /library/sections

Uptime Kuma Client Reconnects After A Real Backoff
    [Documentation]    After a server-side drop the client waits its first backoff (0.5 to 1 s) in real time, then
    ...    reconnects and logs in again.
    [Tags]    uptime-kuma    recovery
    [Setup]    Uptime Kuma Is Back To Normal
    Given The Client Is Connected To Uptime Kuma
    When Uptime Kuma Drops All Connections
    Then The Client Should Reconnect And Log In Again
    [Teardown]    The Client Disconnects From Uptime Kuma


*** Keywords ***
Every Mock Runs And The Clients Use The Wall Clock
    [Documentation]    Suite setup: the wall clock for everything built here, then the three mocks.
    The Clients Run On The Wall Clock
    Uptime Kuma And The Services It Watches Are Running
