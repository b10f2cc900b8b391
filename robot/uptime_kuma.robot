*** Settings ***
Documentation       The app's Uptime Kuma client: login, the live monitor view, reconnects, and the
...                 status service's fallback to polling when Uptime Kuma is not used.

Resource            ../resources/uptime_kuma.resource

Suite Setup         Uptime Kuma And The Services It Watches Are Running
Test Setup          Uptime Kuma Is Back To Normal
Test Teardown       The Client Disconnects From Uptime Kuma

Test Tags           uptime-kuma


*** Test Cases ***
Client Logs In To Uptime Kuma
    [Documentation]    The client connects over Socket.IO and logs in as admin; the server counts it as logged in.
    When The Client Connects To Uptime Kuma
    Then The Uptime Kuma Client Should Be Logged In

Client Receives The Monitor List
    [Documentation]    After login the server pushes the monitor list; the client keeps all three monitors.
    When The Client Connects To Uptime Kuma
    Then The Client Should List Monitors    Plex    Overseerr    Tautulli

Monitor Going Down Shows As Down In The Status Service
    [Documentation]    A DOWN heartbeat pushed by Uptime Kuma makes the status service report Plex down,
    ...    from Uptime Kuma, without touching Plex.
    [Tags]    unavailable
    Given The Client Is Connected To Uptime Kuma
    And The Status Service Uses Uptime Kuma
    When Uptime Kuma Reports Plex As Down
    Then The Status Of Plex Should Be Down From Uptime Kuma
    And The Status Of Overseerr Should Be Up From Uptime Kuma

Uptime Kuma Repeats Every Monitor's Status Every Minute
    [Documentation]    As a real server checking its monitors, the mock sends a heartbeat per monitor every 60 s
    ...    (let pass on the test clock); the client receives them.
    Given The Client Is Connected To Uptime Kuma
    When Uptime Kuma's Heartbeat Interval Passes
    Then The Client Should Receive A New Heartbeat For Every Monitor
    And The Client Should See Plex As Up

Rejected Login Fails With A Clear Error
    [Documentation]    When the server refuses every login, connecting fails with an authentication error that says why.
    [Tags]    unavailable
    Given Uptime Kuma Rejects Logins
    When The Client Logs In
    Then The Login Should Be Rejected With    Incorrect username or password

Wrong Password Is Rejected
    [Documentation]    A wrong password is refused with the server's message, and the password is not in the error.
    When The Client Logs In With A Wrong Password
    Then The Login Should Be Rejected With    Incorrect username or password

Client Reconnects After The Connection Drops
    [Documentation]    A server-side disconnect is followed, once the 1 s reconnect backoff has passed on the clock,
    ...    by a reconnect and a new login, and later heartbeats still arrive.
    [Tags]    recovery
    Given The Client Is Connected To Uptime Kuma
    When Uptime Kuma Drops All Connections
    And 1 Second Passes
    Then The Client Should Reconnect And Log In Again
    When Uptime Kuma Reports Plex As Down
    Then The Client Should See Plex As Down

Status Service Polls The Services When Uptime Kuma Is Disabled
    [Documentation]    With Uptime Kuma switched off the status service polls Plex and Overseerr itself:
    ...    it ignores Kuma's DOWN, then sees Plex really go down.
    [Tags]    fallback
    Given The Client Is Connected To Uptime Kuma
    And The Status Service Uses Uptime Kuma
    And Uptime Kuma Reports Plex As Down
    When Uptime Kuma Is Disabled For Status
    Then The Status Of Plex Should Be Up From Polling
    And The Status Of Overseerr Should Be Up From Polling
    When The Plex Service Is Unreachable
    Then The Status Of Plex Should Be Down From Polling
