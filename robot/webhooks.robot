*** Settings ***
Documentation       Overseerr webhooks: notifications sent by (mock) Overseerr are received and validated
...                 by the dashboard's webhook endpoint; wrong secrets and foreign payloads are refused
...                 and leave nothing behind.

Resource            ../resources/dashboard.resource

Suite Setup         The Dashboard Receives Webhooks
Test Setup          The Webhook Inbox Starts Empty

Test Tags           overseerr    dashboard


*** Test Cases ***
Media Approved Notification Is Received For The Request
    [Documentation]    MEDIA_APPROVED about a request Overseerr holds is accepted and recorded with the request's ids.
    Given Overseerr Has A Pending Movie Request
    When Overseerr Sends Media Approved For The Request
    Then The Dashboard Should Have Received Media Approved For The Request

Media Available Notification Says The Media Is Available
    [Documentation]    MEDIA_AVAILABLE about a pending request carries the status Overseerr sends with it: AVAILABLE.
    Given Overseerr Has A Pending Movie Request
    When Overseerr Sends Media Available For The Request
    Then The Dashboard Should Have Received Media Available For The Request
    And The Media Available Notification Should Say The Media Is Available

Received Notifications Are Listed By Type
    [Documentation]    The dashboard's webhook listing, filtered by type, holds each accepted notification of that
    ...    type only; a type never sent is absent.
    Given Overseerr Has A Pending Movie Request
    When Overseerr Sends Media Approved For The Request
    And Overseerr Sends A Test Notification
    Then The Dashboard Should List 1 Media Approved Notification(s)
    And The Dashboard Should List 1 Test Notification Notification(s)
    And The Dashboard Should List 0 Media Available Notification(s)
    And The Dashboard Should Have Received No Media Available

Test Notification Is Received
    [Documentation]    Overseerr's "test" button notification (no media, no request) is accepted and recorded.
    When Overseerr Sends A Test Notification
    Then The Dashboard Should Have Received A Test Notification

Webhook With The Wrong Secret Is Refused
    [Documentation]    A notification with another Authorization value is refused with 401 and not recorded.
    When Overseerr Sends A Test Notification With The Wrong Secret
    Then The Webhook Should Be Refused With    401    invalid webhook secret
    And Nothing Should Have Been Recorded

Payload That Is Not An Overseerr Notification Is Rejected
    [Documentation]    JSON that is not an Overseerr notification gets 400 naming the problem and is not recorded.
    When Something That Is Not An Overseerr Notification Is Posted
    Then The Post Should Be Rejected As Invalid    missing 'notification_type'
    And Nothing Should Have Been Recorded
