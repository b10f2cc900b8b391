*** Settings ***
Documentation       ``python -m mockservers``: the mock servers started from the shell, with their
...                 ``--flaky``/``--seed`` and ``--slow`` faults, stop cleanly on SIGINT.

Resource            ../resources/cli.resource

Test Setup          No Mock Server Process Runs Yet
Test Teardown       Stop Every Mock Server Process

Test Tags           cli


*** Test Cases ***
Flaky Mode Fails Some Requests With 503
    [Documentation]    --flaky answers some requests with 503 and the others normally.
    Given Mock Servers Are Started From The CLI As    Flaky    --flaky    --seed    7
    When 20 Requests Are Sent To The Flaky Server
    Then The Flaky Server Should Have Answered Some Requests With 503 And The Others Normally

Same Seed Gives The Same Failure Sequence
    [Documentation]    Two servers started with the same --seed fail the same requests, in the same order.
    Given Mock Servers Are Started From The CLI As    First    --flaky    --seed    7
    And Mock Servers Are Started From The CLI As    Second    --flaky    --seed    7
    When 20 Requests Are Sent To The First Server
    And 20 Requests Are Sent To The Second Server
    Then The First And Second Servers Should Have Answered With The Same Codes In The Same Order
    And The First Server Should Have Answered Some Requests With 503 And The Others Normally

Slow Mode Delays Answers By At Least One Second
    [Documentation]    --slow delays every answer by at least one second.
    Given Mock Servers Are Started From The CLI As    Slow    --slow
    Then One Request To The Slow Server Should Take At Least    1s

SIGINT Stops The Mock Servers Cleanly
    [Documentation]    Ctrl-C (SIGINT) stops every server, prints "mock servers stopped" and exits 0.
    [Tags]    recovery
    Given Mock Servers Are Started From The CLI As    Interrupted
    When The Process Is Interrupted    Interrupted
    Then The Process Should Have Stopped Cleanly
