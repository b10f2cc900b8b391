*** Settings ***
Documentation       Overseerr: the client reads the status, searches, submits media requests and lists them,
...                 and never submits a request twice, even when the answer to the submission is lost.
Resource            ../resources/overseerr.resource

Suite Setup         Mock Overseerr Is Started
Test Setup          Overseerr Is Healthy And The Client Is New
Test Tags           overseerr


*** Test Cases ***
Status Is Reported
    [Documentation]    The status reports the mock's Overseerr version, from one request.
    When The Overseerr Status Is Requested
    Then The Overseerr Status Should Be Current
    And The Overseerr Service Should Have Received 1 Request(s) To    /api/v1/status

Search Finds Every Match
    [Documentation]    "Matrix" finds the three Matrix movies, The Matrix first.
    When Overseerr Is Searched For    Matrix
    Then The Matrix Search Should Be Complete
    And The Overseerr Service Should Have Received 1 Request(s) To    /api/v1/search

Repeated Search Is Served From The Cache
    [Documentation]    The same search twice sends one request; the second answer is the cached one, not stale.
    When Overseerr Is Searched For    Matrix
    And Overseerr Is Searched For    Matrix
    Then The Matrix Search Should Be Complete
    And The Overseerr Search Result Should Be Fresh
    And The Overseerr Service Should Have Received 1 Request(s) To    /api/v1/search

Submitted Request Is Listed
    [Documentation]    A created request (201) is the only one listed afterwards.
    When The Matrix Is Requested
    And The Requests Are Listed
    Then The Request Should Be For The Matrix
    And The Listing Should Hold Only The Request
    And Overseerr Should Have Received 1 Request Submission(s)

Lost Answer To A Submission Does Not Create A Duplicate
    [Documentation]    The mock creates the request but the answer is cut short: the client looks it up
    ...    instead of posting again, so there is one POST, one request, and the caller gets it.
    [Tags]    retry
    Given The Overseerr Answer To A Request Submission Is Lost
    When The Matrix Is Requested
    And The Requests Are Listed
    Then The Request Should Be For The Matrix
    And Overseerr Should Have Received 1 Request Submission(s)
    And The Listing Should Hold Only The Request

Garbled Answer To A Submission Does Not Create A Duplicate
    [Documentation]    The mock creates the request but its JSON answer is broken: the client looks it up
    ...    instead of posting again.
    [Tags]    retry
    Given The Overseerr Answer To A Request Submission Is Garbled
    When The Matrix Is Requested
    And The Requests Are Listed
    Then The Request Should Be For The Matrix
    And Overseerr Should Have Received 1 Request Submission(s)
    And The Listing Should Hold Only The Request

Dropped Submission Is Sent Again Exactly Once
    [Documentation]    The connection drops before the mock sees the POST: the lookup finds nothing, so the
    ...    client posts once more, and exactly one request exists.
    [Tags]    retry
    Given The Connection Drops Before Overseerr Sees The Submission
    When The Matrix Is Requested
    And The Requests Are Listed
    Then The Request Should Be For The Matrix
    And Overseerr Should Have Created The Request Only On The Second Submission
    And The Listing Should Hold Only The Request

Duplicate Request Is Rejected By Overseerr
    [Documentation]    Overseerr refuses a second request for the same movie with 409: RequestRejectedError,
    ...    one request listed, and the breaker untouched (a 4xx is not a service failure).
    Given The Matrix Is Requested
    Then Requesting The Matrix Again Should Be Rejected As A Duplicate
    When The Requests Are Listed
    Then The Listing Should Hold One Request
    And Overseerr Should Have Received 2 Request Submission(s)
    And The Overseerr Circuit Breaker Should Have Counted 0 Failures And 0 Rejections

Wrong API Key Is Reported As An Authentication Error
    [Documentation]    Searching with a wrong key gets 403: AuthenticationError without the key in its message,
    ...    no retry, and the breaker untouched. (The status endpoint is public, as in Overseerr.)
    Given The Overseerr Client Uses An API Key Overseerr Does Not Know
    Then Overseerr Search Should Be Refused As Unauthenticated
    And The Overseerr Service Should Have Answered 1 Request(s) With 403 To    /api/v1/search
    And The Overseerr Circuit Breaker Should Have Counted 0 Failures And 0 Rejections
