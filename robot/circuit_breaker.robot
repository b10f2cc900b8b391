*** Settings ***
Documentation       Circuit breaker: after exactly ${FAIL_MAX} failed calls the Plex breaker opens and calls fail fast
...                 without reaching Plex; after the reset timeout (${RESET_TIMEOUT}, production size, let pass on
...                 the test clock) one probe decides between closed and open again. Rejected credentials are the
...                 caller's problem and never trip it.
Resource            ../resources/plex.resource

Suite Setup         Mock Plex Is Started
Test Setup          Plex Is Healthy And The Client Is New
Test Tags           circuit-breaker    plex


*** Test Cases ***
Breaker Stays Closed Below The Failure Threshold
    [Documentation]    Two failed calls (three attempts each) leave the breaker closed.
    [Tags]    retry
    Given The Plex Service Answers Every Request With 503
    When ${CALLS_BELOW_THRESHOLD} Plex Calls Fail As Unavailable
    Then The Plex Circuit Breaker Should Be Closed
    And The Plex Circuit Breaker Should Have Counted ${CALLS_BELOW_THRESHOLD} Failures And 0 Rejections
    And The Plex Service Should Have Received ${REQUESTS_BELOW_THRESHOLD} Request(s) To    /

Breaker Opens After Exactly Fail Max Failed Calls And Then Fails Fast
    [Documentation]    The ${FAIL_MAX}th failed call opens the breaker; the next call fails fast and no request reaches Plex.
    [Tags]    retry
    Given The Plex Service Answers Every Request With 503
    When ${FAIL_MAX} Plex Calls Fail As Unavailable
    Then The Plex Breaker Should Have Opened After ${FAIL_MAX} Calls And ${OPENING_REQUESTS} Requests
    And The Plex Circuit Breaker Should Be Open
    And Plex Should Fail Fast With An Open Circuit
    And No Request Should Have Reached Plex While Its Breaker Was Open

Open Breaker Counts Failures And Rejected Calls Exactly
    [Documentation]    ${FAIL_MAX} failures, then two calls rejected without a request.
    Given The Plex Circuit Breaker Has Been Opened
    When 2 Plex Calls Are Rejected By The Open Circuit
    Then The Plex Circuit Breaker Should Have Counted ${FAIL_MAX} Failures And 2 Rejections
    And The Plex Circuit Breaker Should Count ${FAIL_MAX} Consecutive Failures And 0 Successes
    And No Request Should Have Reached Plex While Its Breaker Was Open

Breaker Stays Open Until The Reset Timeout Has Passed
    [Documentation]    29 seconds after opening the breaker still fails fast; at 30 seconds it awaits a probe.
    Given The Plex Circuit Breaker Has Been Opened
    When 29 Seconds Pass
    Then The Plex Circuit Breaker Should Be Open
    And Plex Should Fail Fast With An Open Circuit
    When 1 Second Passes
    Then The Plex Circuit Breaker Should Be Half-Open
    And No Request Should Have Reached Plex While Its Breaker Was Open

Breaker Turns Half-Open After The Reset Timeout And Closes On Success
    [Documentation]    After the reset timeout the breaker lets one probe through; it succeeds and the breaker closes.
    Given The Plex Circuit Breaker Has Been Opened
    And The Plex Service Has Recovered
    When 30 Seconds Pass
    And The Plex Server Info Is Requested
    Then The Plex Server Should Be The Mock
    And The Plex Circuit Breaker Should Be Closed
    And Exactly 1 Probe(s) Should Have Reached Plex While Half-Open
    And The Plex Service Should Have Answered 1 Request(s) With 200 To    /

Breaker Needs As Many Successful Probes As Its Success Threshold
    [Documentation]    With success_threshold=2 one successful probe leaves the breaker half-open; the second closes it.
    Given The Plex Client Uses    success_threshold=2
    And The Plex Circuit Breaker Has Been Opened
    And The Plex Service Has Recovered
    And 30 Seconds Pass
    When The Plex Server Info Is Requested
    Then The Plex Circuit Breaker Should Be Half-Open
    When The Plex Server Info Is Requested
    Then The Plex Circuit Breaker Should Be Closed
    And Exactly 2 Probe(s) Should Have Reached Plex While Half-Open

Failed Probe Opens The Breaker Again
    [Documentation]    A failing probe call (${ATTEMPTS} attempts) opens the breaker again at once; nothing reaches Plex
    ...    while it is open.
    Given The Plex Circuit Breaker Has Been Opened
    When 30 Seconds Pass
    And 1 Plex Calls Fail As Unavailable
    Then The Plex Circuit Breaker Should Be Open
    And Plex Should Fail Fast With An Open Circuit
    And Exactly ${ATTEMPTS} Probe(s) Should Have Reached Plex While Half-Open
    And No Request Should Have Reached Plex While Its Breaker Was Open

Rejected Credentials Do Not Trip The Breaker
    [Documentation]    401s are the caller's problem: no retry, no breaker failure.
    Given The Plex Client Uses A Token Plex Does Not Know
    When 4 Plex Calls Fail As Unauthenticated
    Then The Plex Circuit Breaker Should Be Closed
    And The Plex Circuit Breaker Should Have Counted 0 Failures And 0 Rejections
    And The Plex Service Should Have Answered 4 Request(s) With 401 To    /
