*** Settings ***
Documentation       Signing in with Plex: a strong PIN the user approves at plex.tv, the account's server, the
...                 connection that answers; and a signed-in app that keeps working when plex.tv or a connection
...                 fails. Every duration passes on the test clock.

Resource            ../resources/plex_sign_in.resource

Suite Setup         Plex And Plex TV Are Started
Test Setup          The App Is Signed Out And Plex TV Is Healthy

Test Tags           sign-in


*** Test Cases ***
Signing In With Plex Shows The Auth URL And Reaches The Server
    [Documentation]    The happy path: the auth URL names the app and the PIN, the approval signs the app in, and
    ...    the libraries come from the server through its local connection.
    Given The User Signs In With Plex
    Then The Auth URL Should Ask The User To Approve The App
    When The User Approves The Sign-In
    And The App Waits For The Sign-In
    Then The App Should Be Signed In As The Plex Account
    And The App Should Reach Plex Through Its Local Connection
    When The Plex Libraries Are Requested
    Then The Plex Libraries Should Be    Movies    TV Shows
    And The Timeline Should Show Plex TV As A Lane

A Declined Sign-In Is A Denial And Keeps Nothing
    [Documentation]    The user declines in the browser: the app says so before the PIN would have expired.
    Given The User Signs In With Plex
    When The User Declines The Sign-In
    Then Waiting For The Sign-In Should Fail With    PinDeniedError    declined
    And The App Should Not Be Signed In

A PIN Nobody Approves Expires On The Test Clock
    [Documentation]    Half an hour passes at once: the PIN has expired, and the app says so.
    Given The User Signs In With Plex
    When The PIN Expires Unapproved
    Then Waiting For The Sign-In Should Fail With    PinExpiredError    expired
    And The App Should Not Be Signed In

Plex TV Down During The Sign-In Is A Clear Error And Keeps Nothing
    [Documentation]    plex.tv goes away between the approval and the app's look at the PIN: a typed error naming
    ...    plex.tv, and nothing half-stored.
    Given The User Signs In With Plex
    And The User Approves The Sign-In
    When Plex TV Is Unreachable
    Then Waiting For The Sign-In Should Fail With    ServiceUnavailableError    plextv get_pin failed: connection refused
    And The App Should Not Be Signed In

Plex TV Down After The Sign-In Never Stops The App
    [Documentation]    The library keeps coming from the server; plex.tv is reported down on its own.
    [Tags]    unavailable
    Given The App Is Signed In With Plex
    And The Status Service Watches Plex And Plex TV
    When Plex TV Is Unreachable
    And The Plex Libraries Are Requested
    Then The Plex Libraries Should Be Fresh
    And Plex Should Be Reported Up
    And Plex TV Should Be Reported Down Because    connection refused
    And The Dashboard Should Show Plex TV As Down

The Remote Connection Is Chosen When The Local One Refuses
    [Documentation]    From inside a container the LAN address refuses: the app signs in through the remote one.
    Given The Server's Local Connection Refuses
    When The App Is Signed In With Plex
    Then The App Should Reach Plex Through Its Remote Connection
    And The Plex Server Info Is Requested
    And The Plex Server Should Be The Mock

A Connection That Stops Answering Is Rediscovered Once
    [Documentation]    The chosen local connection starts refusing: one rediscovery finds the remote one and the same
    ...    call answers fresh from there.
    Given The App Is Signed In With Plex
    When The Server's Local Connection Refuses
    And The Plex Libraries Are Requested
    Then The Plex Libraries Should Be Fresh
    And The App Should Reach Plex Through Its Remote Connection
    And Plex TV Should Have Listed The Servers 2 Times

Every Connection Down Leaves It To The Breaker And The Stale Cache
    [Documentation]    No connection answers: one rediscovery, then the breaker opens and the cache answers, as for
    ...    Plex today.
    [Tags]    unavailable    circuit-breaker    fallback
    Given The App Is Signed In With Plex
    And The Plex Libraries Were Read A Minute Ago
    When Every Connection To The Server Refuses
    And ${FAIL_MAX} Plex Reads Are Served Stale
    Then The Plex Circuit Breaker Should Be Open
    And Plex TV Should Have Listed The Servers 2 Times
    And Every Plex Answer While Its Breaker Was Open Should Have Been Stale

A Server That Moved Is Rediscovered
    [Documentation]    plex.tv lists the server at a new address; the old one refuses: the app finds it there.
    [Tags]    recovery
    Given The App Is Signed In With Plex
    When The Server Moves To A New Address
    And The Plex Server Info Is Requested
    Then The Plex Server Should Be The Mock
    And The App Should Reach Plex At Its New Address

A Revoked Token Asks To Sign In Again And Never Trips The Breaker
    [Documentation]    The user removes the app at plex.tv: every call says "sign in again", the breaker stays
    ...    closed, plex.tv is reported down saying so.
    Given The App Is Signed In With Plex
    And The Status Service Watches Plex And Plex TV
    When The Account's Token Is Revoked
    Then Plex Calls Should Ask To Sign In Again
    And The Plex Circuit Breaker Should Be Closed
    And The App Should Be Asked To Sign In Again
    And Plex TV Should Be Reported Down Because    sign in again
