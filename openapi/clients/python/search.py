"""Reads a contact through the client openapi-python-client generates from livedesk.yaml,
from the Prism mock at LIVEDESK_PRISM_URL, with Basic auth. Run by .ci/spec."""

import base64
import os

from livedesk_client import AuthenticatedClient
from livedesk_client.api.contacts import search_contacts
from livedesk_client.models import ContactList

token = base64.b64encode(b"prism-key:prism-secret").decode()
client = AuthenticatedClient(base_url=os.environ["LIVEDESK_PRISM_URL"], token=token, prefix="Basic")

page = search_contacts.sync(client=client, q="support@engagelab.com", labels=["vip"], page=1)
assert isinstance(page, ContactList), f"expected a ContactList, got {page!r}"
# Without `q`, the list mode: every contact of the account.
listing = search_contacts.sync(client=client, labels=["vip"])
assert isinstance(listing, ContactList), f"expected a ContactList, got {listing!r}"
contact = page.payload[0]
inbox = contact.contact_inboxes[0].inbox
print(f"python client: contact {contact.id} {contact.name} <{contact.email}> via {inbox.channel_type}")
assert contact.id == 64464046
assert contact.email == "support@engagelab.com"
assert contact.phone_number is None
assert contact.blocked is False
assert contact.custom_attributes.to_dict() == {}
assert inbox.name == "邮箱" and inbox.provider is None
