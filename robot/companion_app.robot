*** Settings ***
Documentation       The companion as an app: ``python -m companion --workers N`` serves the dashboard from several
...                 worker processes on one port, keeps the tests' clock in every worker, stops cleanly on SIGTERM,
...                 comes back after a crash, and refuses bad settings with a clear error.

Resource            ../resources/companion_app.resource

Suite Setup         Mock Plex And Overseerr Are Started

Test Tags           companion-app


*** Test Cases ***
Two Workers Serve The Dashboard
    [Documentation]    Both workers answer on the one port, and the dashboard reports the mocks up.
    Given The Companion Runs With 2 Workers
    Then Different Workers Should Answer
    And The Dashboard Should Report Plex And Overseerr Up

Every Worker Keeps The Test Clock
    [Documentation]    A token valid for 5 minutes of the test clock is accepted by every worker; once the test
    ...    clock has moved 10 minutes, every worker refuses it as expired.
    [Tags]    time
    Given The Companion Runs With 2 Workers
    And A Dashboard Token Valid For 5 Minutes Is Minted
    And Every Worker Should Accept The Token
    When 10 Minutes Pass
    Then Every Worker Should Refuse The Token
    And Every Worker Should Read The Test Clock

SIGTERM Stops Every Worker Cleanly
    [Documentation]    SIGTERM ends the app with exit status 0, and no worker process is left.
    [Tags]    recovery
    Given The Companion Runs With 2 Workers
    When The Companion Is Stopped With SIGTERM
    Then The Companion Should Have Stopped Cleanly

Killed Companion Comes Back On The Same Port
    [Documentation]    After SIGKILL of the app and all its workers, a restart serves again at the same address.
    [Tags]    recovery
    Given The Companion Runs With 2 Workers
    When The Companion Is Killed
    And The Companion Is Restarted
    Then The Companion Should Answer Again At The Same Address With New Workers

A Bad Flag Is Refused With The Flag And The Allowed Range
    [Documentation]    ``--workers 0`` stops the start at once, naming the flag, its variable, the range and the value.
    When The Companion Is Started With    --workers    0    jwt_secret=${{ "x" * 40 }}
    Then The Companion Should Refuse To Start Saying    --workers / COMPANION_WORKERS must be from 1 to 64, got 0

A Missing JWT Secret Is Refused
    [Documentation]    Without a JWT signing secret the app does not start, and says which variable to set.
    When The Companion Is Started With    --port    0
    Then The Companion Should Refuse To Start Saying    --jwt-secret / COMPANION_JWT_SECRET is required

A Short JWT Secret Is Refused Without Showing It
    [Documentation]    A JWT secret shorter than 32 characters is refused by its length; its value never shows.
    Given A Credential Is Made Up
    When The Companion Is Started With    --port    0    jwt_secret=${MADE_UP}
    Then The Companion Should Refuse To Start Saying    must be at least 32 characters, got a secret of 22 characters
