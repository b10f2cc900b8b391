*** Settings ***
Documentation       The service-health dashboard: who may read it, and whether its summary matches
...                 what Uptime Kuma and the services' circuit breakers say.

Resource            ../resources/dashboard.resource

Suite Setup         The Dashboard Watches Plex And Overseerr Through Uptime Kuma
Test Setup          The Dashboard Starts From A Clean State
Test Teardown       The Client Disconnects From Uptime Kuma

Test Tags           dashboard


*** Test Cases ***
Dashboard Refuses Callers Without A Valid Admin Token
    [Documentation]    401 for no/bad credentials, 403 for a valid token without the admin role;
    ...    every refusal is a JSON error that says what was wrong.
    [Template]    Callers With These Credentials Should Be Refused
    none             401    missing Authorization header
    malformed        401    malformed token
    bad-signature    401    signature verification failed
    expired          401    token expired
    wrong-scheme     401    unsupported Authorization scheme
    no-role          403    token has no role
    non-admin        403    role 'user' is not allowed

Admin Token Expires After Five Minutes
    [Documentation]    A token minted for 5 minutes works 4 minutes later and is refused as expired at 5
    ...    (time let pass on the test clock the dashboard reads).
    Given An Admin Token Was Minted
    When 4 Minutes Pass
    Then The Dashboard Should Accept The Token
    When 1 Minute Passes
    Then The Dashboard Should Refuse The Token As Expired

Request Without Token Is Refused Over Raw HTTP
    [Documentation]    Plain HTTP view of the refusal: status, WWW-Authenticate header, JSON error body; /health stays open.
    Then A Request Without A Token Should Get 401 With A JSON Error
    And The Dashboard Health Check Should Answer Without A Token

Admin Sees Every Service Up
    [Documentation]    With everything healthy an admin sees the three services up and no open breaker.
    When An Admin Reads The Dashboard
    Then The Dashboard Should List Services    plex    overseerr    uptime-kuma
    And The Summary Should Show    totalServices=3    servicesUp=3    servicesDown=0    circuitBreakersOpen=0

Plex Down In Uptime Kuma Counts As One Service Down
    [Documentation]    Plex DOWN in Uptime Kuma, Overseerr UP: the summary counts one service down.
    [Tags]    unavailable    uptime-kuma
    When Uptime Kuma Reports Plex As Down
    Then The Dashboard Summary Should Become    servicesDown=1    servicesUp=2    totalServices=3
    And The Dashboard Should Show Plex As Down
    And The Dashboard Should Show Overseerr As Up

Plex Back Up In Uptime Kuma Is Counted As Up Again
    [Documentation]    When Plex's monitor comes back up the down count returns to zero.
    [Tags]    recovery    uptime-kuma
    Given Uptime Kuma Reports Plex As Down
    And The Dashboard Summary Should Become    servicesDown=1
    When Uptime Kuma Reports Plex As Up
    Then The Dashboard Summary Should Become    servicesDown=0    servicesUp=3

Open Circuit Breaker Is Counted
    [Documentation]    Polling an unreachable Plex opens its breaker; the dashboard counts it in circuitBreakersOpen.
    [Tags]    unavailable    fallback
    Given Uptime Kuma Is Disabled For Status
    And The Plex Service Is Unreachable
    When An Admin Reads The Dashboard Until It Counts 1 Open Circuit Breaker(s)
    Then The Plex Circuit Breaker Should Be Open
    And The Summary Should Show    servicesDown=1    servicesUp=1    totalServices=2
