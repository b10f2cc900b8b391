*** Settings ***
Documentation       Plex failure scenarios: unavailable, slow, partially failing, and recovering after an outage.
...                 In each the caller gets either correct data or a typed error, and the mock's journal shows
...                 exactly which requests (retries included) reached Plex.
Resource            ../resources/plex.resource

Suite Setup         Mock Plex Is Started
Test Setup          Plex Is Healthy And The Client Is New
Test Tags           plex


*** Test Cases ***
Unavailable Plex Gives A Typed Error Naming Plex
    [Documentation]    Connection refused: ServiceUnavailableError naming plex; one failure on a still closed breaker.
    [Tags]    unavailable
    Given The Plex Service Is Unreachable
    Then Plex Should Be Reported Unavailable    get libraries
    And The Plex Circuit Breaker Should Have Counted 1 Failures And 0 Rejections
    And The Plex Circuit Breaker Should Be Closed

Slow Plex Times Out After Every Attempt
    [Documentation]    Answers slower than the read timeout: each of the three attempts times out, ServiceTimeoutError.
    [Tags]    slow    retry
    Given The Plex Client Uses    read_timeout=${SLOW_READ_TIMEOUT}
    And The Plex Service Answers Slower Than The Read Timeout
    Then Plex Should Be Reported Too Slow    get libraries
    When The Plex Service Has Recovered
    Then The Plex Service Should Eventually Have Received ${ATTEMPTS} Request(s) To    /library/sections
    And The Plex Circuit Breaker Should Have Counted 1 Failures And 0 Rejections

Retries Absorb A 30 Percent Failure Rate
    [Documentation]    Five pages read despite seeded 503s: four retries, five successes, no breaker failure.
    [Tags]    partial-failure    retry
    Given The Plex Service Fails 30 % Of Requests
    When All Plex Movies Are Read In Pages Of    20
    Then Every Plex Movie Should Have Been Read Once
    And The Plex Service Should Have Answered 5 Request(s) With 200 To    /library/sections/1/all
    And The Plex Service Should Have Answered 4 Request(s) With 503 To    /library/sections/1/all
    And The Plex Circuit Breaker Should Have Counted 0 Failures And 0 Rejections

Flapping Plex Fails While Down And Answers While Up
    [Documentation]    Plex flaps, 10 seconds down then 20 up: a call in a down phase fails after its ${ATTEMPTS} attempts,
    ...    a call in the up phase that follows is answered, and the next down phase fails again.
    [Tags]    partial-failure    recovery
    Given The Plex Service Flaps 10 Seconds Down And 20 Seconds Up
    When 1 Plex Calls Fail As Unavailable
    Then The Plex Service Should Have Answered ${ATTEMPTS} Request(s) With 503 To    /*
    When 10 Seconds Pass
    And The Plex Server Info Is Requested
    Then The Plex Server Should Be The Mock
    When 20 Seconds Pass
    Then 1 Plex Calls Fail As Unavailable
    And The Plex Circuit Breaker Should Have Counted 2 Failures And 0 Rejections

Plex Recovers After An Outage
    [Documentation]    ${OPENING_REQUESTS} 503s open the breaker; 30 seconds later one probe closes it and fresh libraries come back.
    [Tags]    recovery    circuit-breaker
    Given The Plex Service Is Down For The Next ${OPENING_REQUESTS} Requests
    When ${FAIL_MAX} Plex Calls Fail As Unavailable
    Then The Plex Breaker Should Have Opened After ${FAIL_MAX} Calls And ${OPENING_REQUESTS} Requests
    And Plex Should Fail Fast With An Open Circuit
    When 30 Seconds Pass
    And The Plex Libraries Are Requested
    Then The Plex Libraries Should Be    Movies    TV Shows
    And The Plex Libraries Should Be Fresh
    And The Plex Circuit Breaker Should Be Closed
    And Exactly 1 Probe(s) Should Have Reached Plex While Half-Open
