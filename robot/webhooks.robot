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
