"""What the customer portal asks of cases besides the cases themselves: who a contact is, self-registration by
organisation domain, and the portal's branding per organisation (D1, D10)."""
