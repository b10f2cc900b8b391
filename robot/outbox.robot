*** Settings ***
Documentation       The request outbox: a media request made while Overseerr is unavailable is accepted, kept in a
...                 real database and reaches Overseerr exactly once after it recovers, in order; Overseerr's refusals
...                 are kept with its reason; a lost answer, a crash mid-delivery or mid-write, or two workers never
...                 lose a request or make it twice. On SQLite and on a real PostgreSQL server.
Resource            ../resources/outbox.resource

Suite Setup         Mock Overseerr Is Started
Test Setup          Overseerr Is Healthy And The Client Is New
Test Tags           outbox    overseerr


*** Test Cases ***
A Request Made While Overseerr Is Down Is Accepted And Queued
    [Documentation]    Connection refused: the caller gets "accepted, queued" with an id, not an error.
    [Tags]    unavailable
    Given The Outbox Is Kept In SQLite
    When The User Requests The Matrix While Overseerr Is Down
    Then The Request Should Be Accepted And Queued
    And The Outbox Should Hold 1 Submission
    And The Outbox Should Report The Last Delivery Error    connection refused
    And Overseerr Should Hold No Request

Queued Requests Reach Overseerr In Order After Recovery On SQLite
    [Documentation]    Three requests queued during an outage are delivered oldest first once Overseerr is back.
    [Tags]    recovery
    Given The Outbox Is Kept In SQLite
    And The Trilogy Is Requested While Overseerr Is Down
    When Overseerr Recovers
    And The Outbox Is Delivered
    Then The Outbox Should Hold 0 Submissions
    And Overseerr Should Hold Requests For    The Matrix    The Matrix Reloaded    The Matrix Revolutions
    And Every Submission Should Have Reached Overseerr Exactly Once

Queued Requests Reach Overseerr In Order After Recovery On PostgreSQL
    [Documentation]    The same on a real PostgreSQL server.
    [Tags]    recovery
    Given The Outbox Is Kept In PostgreSQL
    And The Trilogy Is Requested While Overseerr Is Down
    When Overseerr Recovers
    And The Outbox Is Delivered
    Then The Outbox Should Hold 0 Submissions
    And Overseerr Should Hold Requests For    The Matrix    The Matrix Reloaded    The Matrix Revolutions
    And Every Submission Should Have Reached Overseerr Exactly Once

A Request Overseerr Refuses Is Rejected With Its Reason
    [Documentation]    A second request for a film is refused by Overseerr (409): kept as rejected, never retried.
    Given The Outbox Is Kept In SQLite
    And Someone Has Already Requested The Matrix
    When The User Requests The Matrix
    Then The Request Should Be Rejected Because    Request for this media already exists.
    And The Outbox Should Hold 0 Submissions
    And Overseerr Should Have Received 1 Request Submission(s)

A Cancelled Request Never Reaches Overseerr
    [Documentation]    A queued request withdrawn before delivery is not sent when Overseerr comes back.
    Given The Outbox Is Kept In PostgreSQL
    And The User Requests The Matrix While Overseerr Is Down
    When The User Cancels That Request
    And Overseerr Recovers
    And The Outbox Is Delivered
    Then The Outbox Should Hold 0 Submissions
    And Overseerr Should Hold No Request

A Lost Answer Is Looked Up And Not Sent Again
    [Documentation]    Overseerr creates the request but the answer is lost and the look-up fails too: the
    ...    submission stays queued, in doubt; the next delivery finds it in Overseerr instead of sending it again.
    Given The Outbox Is Kept In SQLite
    And The Overseerr Answer To A Request Submission Is Lost
    And Overseerr Cannot Say What It Holds
    When The User Requests The Matrix
    Then The Outbox Should Hold 1 Submission In Doubt
    When The Outbox Is Delivered
    Then Every Submission Should Have Reached Overseerr Exactly Once
    And Overseerr Should Have Received 1 Request Submission(s)

A Companion Killed Between Sending And Recording Makes No Duplicate On SQLite
    [Documentation]    ``python -m companion`` is killed (SIGKILL) after Overseerr created the request and before the
    ...    answer was recorded; restarted, it looks the request up and records it: one request in Overseerr.
    [Tags]    companion-app    recovery
    Given The Companion Runs With Its Outbox In SQLite
    And The User Requests The Matrix From The Companion While Overseerr Is Down
    And Overseerr Recovers But Answers Submissions A Byte At A Time
    When 5 Seconds Pass
    And The Companion Is Killed After Overseerr Created The Request
    And The Restarted Companion Has Delivered Its Outbox
    Then Every Submission Should Have Reached Overseerr Exactly Once
    And The Restarted Companion Should Have Looked The Request Up Instead Of Sending It Again

A Companion Killed Between Sending And Recording Makes No Duplicate On PostgreSQL
    [Documentation]    The same with the outbox on a real PostgreSQL server.
    [Tags]    companion-app    recovery
    Given The Companion Runs With Its Outbox In PostgreSQL
    And The User Requests The Matrix From The Companion While Overseerr Is Down
    And Overseerr Recovers But Answers Submissions A Byte At A Time
    When 5 Seconds Pass
    And The Companion Is Killed After Overseerr Created The Request
    And The Restarted Companion Has Delivered Its Outbox
    Then Every Submission Should Have Reached Overseerr Exactly Once
    And The Restarted Companion Should Have Looked The Request Up Instead Of Sending It Again

A Companion Killed While Writing The Outbox Leaves Nothing Half-Written On SQLite
    [Documentation]    ``python -m companion`` is killed (SIGKILL) inside the transaction that records a request:
    ...    after a restart the database holds nothing of it, and nothing reaches Overseerr.
    [Tags]    companion-app
    Given The Companion Runs With Its Outbox In SQLite
    When The Companion Is Killed While Writing The Outbox
    And The Companion Is Restarted
    Then No Submission Should Be Recorded
    And Overseerr Should Hold No Request
    And Overseerr Should Have Received 0 Request Submission(s)

A Companion Killed While Writing The Outbox Leaves Nothing Half-Written On PostgreSQL
    [Documentation]    The same with the outbox on a real PostgreSQL server.
    [Tags]    companion-app
    Given The Companion Runs With Its Outbox In PostgreSQL
    When The Companion Is Killed While Writing The Outbox
    And The Companion Is Restarted
    Then No Submission Should Be Recorded
    And Overseerr Should Hold No Request
    And Overseerr Should Have Received 0 Request Submission(s)

Two Workers On PostgreSQL Never Deliver One Request Twice
    [Documentation]    Two outbox workers share one PostgreSQL outbox and deliver at the same moment: each submission
    ...    is taken by one worker (row locks, SKIP LOCKED) and reaches Overseerr once.
    Given The Outbox Is Kept In PostgreSQL For 2 Workers
    And 10 Films Are Requested While Overseerr Is Down
    When Overseerr Recovers
    And Both Workers Deliver At Once
    Then Each Submission Should Have Been Delivered By One Worker Only
    And The Outbox Should Hold 0 Submissions
    And Every Submission Should Have Reached Overseerr Exactly Once
