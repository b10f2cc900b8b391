*** Settings ***
Documentation       The first test leaves Plex answering 503 and refusing connections; the test setup puts it back.
...                 The other tests fail on purpose, so that their logs show their timelines.
Resource            ../../../resources/plex.resource
Resource            ../../../resources/clock.resource

Suite Setup         Mock Plex Is Started
Test Setup          Plex Is Healthy And The Client Is New


*** Test Cases ***
Leaves Faults Behind
    Given The Plex Service Answers Every Request With 503
    And The Plex Service Is Unreachable
    When 1 Plex Calls Fail As Unavailable

Fails After A Clean Setup
    When The Plex Server Info Is Requested
    Then This Test Fails On Purpose

Keeps The Fault Its Setup Set
    [Setup]    Plex Answers Slowly From The Setup On
    When The Plex Server Info Is Requested
    Then This Test Fails On Purpose

Inherits The Fault Its Setup Keeps
    [Documentation]    The previous test left its delay on; this setup (a library keyword) keeps it: it is part of
    ...    this test's story from its start until the test clears it.
    [Setup]    Create Plex Client    ${PLEX_URL}
    When 2 Seconds Pass
    And Clear Mock Faults    plex
    Then This Test Fails On Purpose


*** Keywords ***
This Test Fails On Purpose
    [Documentation]    Fails, so that the test's log shows its timeline.
    Fail    on purpose

Plex Answers Slowly From The Setup On
    [Documentation]    A test setup that leaves a fault on for the test: cleans up first, then delays every answer.
    Plex Is Healthy And The Client Is New
    Set Mock Delay    plex    10ms
