*** Settings ***
Documentation       ``python -m mockservers``: the mock servers started from the shell, with their
...                 ``--flaky``/``--seed`` and ``--slow`` faults, stop cleanly on SIGINT.

Resource            ../resources/cli.resource

Test Teardown       Stop Every Mock Server Process

Test Tags           cli


*** Test Cases ***
Flaky Mode Fails Some Requests With 503
    [Documentation]    --flaky answers some requests with 503 and the others normally.
    Given Mock Servers Are Started From The CLI As    flaky    --flaky    --seed    7
    When The Codes Of 20 Requests To ${FLAKY_URL} Are Collected As FIRST
    Then Status Codes Should Include Failures And Successes    ${FIRST}

Same Seed Gives The Same Failure Sequence
    [Documentation]    Two servers started with the same --seed fail the same requests, in the same order.
    Given Mock Servers Are Started From The CLI As    run1    --flaky    --seed    7
    And Mock Servers Are Started From The CLI As    run2    --flaky    --seed    7
    When The Codes Of 20 Requests To ${RUN1_URL} Are Collected As FIRST
    And The Codes Of 20 Requests To ${RUN2_URL} Are Collected As SECOND
    Then Lists Should Be Equal    ${FIRST}    ${SECOND}
    And Status Codes Should Include Failures And Successes    ${FIRST}

Slow Mode Delays Answers By At Least One Second
    [Documentation]    --slow delays every answer by at least one second.
    Given Mock Servers Are Started From The CLI As    slow    --slow
    Then One Request To Should Take At Least    ${SLOW_URL}    1s

SIGINT Stops The Mock Servers Cleanly
    [Documentation]    Ctrl-C (SIGINT) stops every server, prints "mock servers stopped" and exits 0.
    [Tags]    recovery
    Given Mock Servers Are Started From The CLI As    interrupted
    When The Process Is Interrupted    interrupted
    Then The Process Should Have Stopped Cleanly
