"""Which elements of a document are its *records*, derived from the compiled plan.

Bulk files published by offices are transactions whose body carries many
business objects: a ``tmk:TrademarkTransaction`` whose ``tmk:TrademarkBag``
holds thousands of ``tmk:Trademark``; a ``tmk:MadridIBToOfficeTransaction``
whose ``tmk:MadridIBToOfficeBag`` holds designations, renewals, changes….

The rule (docs/bulk.md, "Which elements are records") is a small table of
*containers* (:data:`~xml2json.policy.RECORD_CONTAINERS`,
:data:`~xml2json.policy.RECORD_BAGS`) applied to the compiled plan of the
document, never to the data; the layouts are derived when the plan is loaded
(:func:`xml2json.plan.plan_from_dict`) and are part of it:

* an element named ``TransactionData`` (any ST.96 namespace) holds records:
  for each of its children, if the child is a ``…Bag``, the bag's repeating
  element children are records (``TrademarkBag/Trademark``,
  ``ApplicantBag/Applicant``, ``DesignApplicationBag/DesignApplication``…);
  otherwise the child itself is a record (a ``TrademarkApplication`` sent
  inside a transaction);
* the IB/office exchange bags of the Madrid and Hague systems
  (``RECORD_BAGS``) hold records directly: their repeating element
  children, looking through the bags they contain (the Hague office-copy bags
  are bags of bags of records); a document whose root is itself a ``…Bag`` of
  repeating elements (``dgn:DesignApplicationBag``) likewise;
* a document with none of these (an application, a patent publication) is one
  record: the whole document.

The search walks the plan from the document root through element-only
children, at most :data:`~xml2json.policy.MAX_CONTAINER_DEPTH` levels down, and never enters a
record. Record paths are tuples of Clark tags from the root, so a record is
recognised in a stream by its exact ancestry, not by its name alone.
"""

from __future__ import annotations

from ..plan import DocumentPlan, Plan, RecordLayout, RecordSpec, local_name

__all__ = ["RecordLayout", "RecordSpec", "local_name", "record_layout"]


def record_layout(plan: Plan, doc: DocumentPlan) -> RecordLayout:
    """The record elements of *doc*, a document of *plan* (see the module docstring)."""
    return plan.layouts[doc.name]
