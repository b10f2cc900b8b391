*** Settings ***
Documentation       The timeline library's own example: its keywords pass on a real breaker story, and one
...                 deliberately failing test shows the picture and the table in log.html. Run by
...                 tests/timeline/test_robot_log.py, not part of the acceptance suites.

Library             ResilienceTimeline
Library             TimelineDemo

Suite Setup         Start Demo Services
Suite Teardown      Stop Demo Services
Test Teardown       Reset Demo Services


*** Test Cases ***
The Breaker Story Holds
    [Documentation]    One good read, an outage: three failed calls open the breaker, the rest are rejected
    ...    and answered stale; 30 s later, the outage over, one probe closes it.
    Given Plex Libraries Are Read 1 Time
    And Plex Answers Every Request With 503 For 20 Seconds
    And 1 Seconds Pass
    When Plex Libraries Are Read 5 Times
    Then Plex Breaker Should Have Opened After 3 Calls And 6 Requests
    And Every Plex Answer Between 1s And 2s Should Have Been Stale
    And No Request Should Have Reached Plex While Its Breaker Was Open
    When 30 Seconds Pass
    And Plex Libraries Are Read 1 Time
    Then Exactly 1 Probe(s) Should Have Reached Plex While Half-Open

Deliberately Failing: The Breaker Opens Sooner Than It Does
    [Documentation]    Fails on purpose: its log shows the resilience timeline.
    [Tags]    deliberately-failing
    Given Plex Libraries Are Read 1 Time
    And Plex Answers Every Request With 503 For 20 Seconds
    When Plex Libraries Are Read 4 Times
    Then Plex Breaker Should Have Opened After 2 Calls And 4 Requests

A Two-Service Schedule Plays On The Test Clock
    [Documentation]    Plex refuses connections from 0 s to 40 s, Overseerr answers 503 from 5 s to 15 s.
    Play Fault Schedule
    ...    0s    plex    refuse    40s
    ...    5s    overseerr    503    10s
    When 20 Seconds Pass
    Then Timeline Should Contain    fault    Overseerr    count=2
    And Timeline Should Contain    fault    Plex    count=1
    Log Resilience Timeline    the schedule after 20 s

A Contradicting Schedule Fails At Load
    [Documentation]    Two status windows on one mock overlap.
    Run Keyword And Expect Error    *row 2: 'at 5 s plex: every request: reset for 10 s' overlaps*
    ...    Load Fault Schedule
    ...    0s    plex    503    10s
    ...    5s    plex    reset    10s
