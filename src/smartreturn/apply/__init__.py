"""What events do to orders, return cases and parcels: the layer between the rules and the store.

The store (``smartreturn.store``) only persists and reads rows; the rules (``smartreturn.rules``) are
pure functions of plain snapshots and a clock; tracking's timeline (``smartreturn.tracking.timeline``)
is a pure merge of parcel events. This package applies them: a parsed mail's events
(:mod:`~smartreturn.apply.events`), a parcel's tracking events (:mod:`~smartreturn.apply.parcels`), the
user's corrections (:mod:`~smartreturn.apply.manual`), and the deadlines and agenda of a moment
(:mod:`~smartreturn.apply.agenda`).
"""
