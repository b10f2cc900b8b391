*** Settings ***
Documentation       Overseerr failure scenarios: unavailable, slow, partially failing, and recovering after an
...                 outage. In each the caller gets either correct data or a typed error, and the mock's journal
...                 shows exactly which requests (retries included) reached Overseerr.
Resource            ../resources/overseerr.resource

Suite Setup         Mock Overseerr Is Started
Test Setup          Overseerr Is Healthy And The Client Is New
Test Tags           overseerr


*** Test Cases ***
Unavailable Overseerr Gives A Typed Error Naming Overseerr
    [Documentation]    Connection refused: ServiceUnavailableError naming overseerr; one failure on a still closed breaker.
    [Tags]    unavailable
    Given The Overseerr Service Is Unreachable
    Then Overseerr Should Be Reported Unavailable    get status
    And The Overseerr Circuit Breaker Should Have Counted 1 Failures And 0 Rejections
    And The Overseerr Circuit Breaker Should Be Closed

Slow Overseerr Times Out After Every Attempt
    [Documentation]    Answers slower than the read timeout: each of the three attempts times out, ServiceTimeoutError.
    [Tags]    slow    retry
    Given The Overseerr Client Uses    read_timeout=${SLOW_READ_TIMEOUT}
    And The Overseerr Service Answers Slower Than The Read Timeout
    Then Overseerr Search Should Be Reported Too Slow
    When The Overseerr Service Has Recovered
    Then The Overseerr Service Should Eventually Have Received ${ATTEMPTS} Request(s) To    /api/v1/search
    And The Overseerr Circuit Breaker Should Have Counted 1 Failures And 0 Rejections

Retries Absorb A 30 Percent Failure Rate
    [Documentation]    Five status checks despite seeded 503s: four retries, five successes, no breaker failure.
    [Tags]    partial-failure    retry
    Given The Overseerr Service Fails 30 % Of Requests
    When The Overseerr Status Is Requested Several Times
    Then Every Version Should Be Current
    And The Overseerr Service Should Have Answered 5 Request(s) With 200 To    /api/v1/status
    And The Overseerr Service Should Have Answered 4 Request(s) With 503 To    /api/v1/status
    And The Overseerr Circuit Breaker Should Have Counted 0 Failures And 0 Rejections

Overseerr Recovers After An Outage
    [Documentation]    ${OPENING_REQUESTS} 503s open the breaker; 30 seconds later one probe closes it and fresh results come back.
    [Tags]    recovery    circuit-breaker
    Given The Overseerr Service Is Down For The Next ${OPENING_REQUESTS} Requests
    When ${FAIL_MAX} Overseerr Calls Fail As Unavailable
    Then The Overseerr Breaker Should Have Opened After ${FAIL_MAX} Calls And ${OPENING_REQUESTS} Requests
    And Overseerr Search Should Fail Fast With An Open Circuit
    When 30 Seconds Pass
    And Overseerr Is Searched For
    Then The Matrix Search Should Be Complete
    And The Overseerr Search Result Should Be Fresh
    And The Overseerr Circuit Breaker Should Be Closed
    And Exactly 1 Probe(s) Should Have Reached Overseerr While Half-Open
