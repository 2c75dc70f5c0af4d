-- 0019_orders.sql - original orders imported in bulk (`rmactl orders
-- import FILE.csv`, SPEC §15), so that an agent picks the order a case is
-- about instead of typing it: order_import() stores one order with its
-- customer and lines, once.

-- Stores the order of doc ({order_number, sales_channel, customer_email,
-- customer_name, shipping_country, currency, purchase_date, items:
-- [{model, quantity, unit_price}]}, validated by the caller) and answers
-- 'created'; an order already there answers 'exists' when its customer and
-- lines are the same, else 'other_customer' or 'different_lines' and
-- changes nothing.  An unknown model is a foreign-key violation.
CREATE FUNCTION order_import(doc jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_email text := lower(btrim(doc ->> 'customer_email'));
    v_customer bigint;
    v_order bigint;
    v_owner text;
    v_same boolean;
    item jsonb;
BEGIN
    SELECT o.id, c.email INTO v_order, v_owner
      FROM original_order o JOIN customer c ON c.id = o.customer_id
     WHERE o.sales_channel = doc ->> 'sales_channel'
       AND o.order_number = doc ->> 'order_number';
    IF v_order IS NOT NULL THEN
        IF v_owner <> v_email THEN
            RETURN 'other_customer';
        END IF;
        SELECT (SELECT jsonb_agg(jsonb_build_array(i.model, i.quantity, i.unit_price_minor)
                                 ORDER BY i.model, i.quantity, i.unit_price_minor)
                  FROM order_item i WHERE i.order_id = v_order)
             = (SELECT jsonb_agg(jsonb_build_array(x ->> 'model', (x ->> 'quantity')::int,
                                                   money_minor(x -> 'unit_price'))
                                 ORDER BY x ->> 'model', (x ->> 'quantity')::int,
                                          money_minor(x -> 'unit_price'))
                  FROM jsonb_array_elements(doc -> 'items') x)
          INTO v_same;
        RETURN CASE WHEN v_same THEN 'exists' ELSE 'different_lines' END;
    END IF;
    INSERT INTO customer (email, name) VALUES (v_email, doc ->> 'customer_name')
    ON CONFLICT (email) DO UPDATE SET name = customer.name
    RETURNING id INTO v_customer;
    INSERT INTO original_order (order_number, sales_channel, customer_id,
                                shipping_country, currency, purchase_date)
    VALUES (doc ->> 'order_number', doc ->> 'sales_channel', v_customer,
            doc ->> 'shipping_country', doc ->> 'currency',
            (doc ->> 'purchase_date')::date)
    RETURNING id INTO v_order;
    FOR item IN SELECT * FROM jsonb_array_elements(doc -> 'items') LOOP
        INSERT INTO order_item (order_id, model, quantity, unit_price_minor)
        VALUES (v_order, item ->> 'model', (item ->> 'quantity')::int,
                money_minor(item -> 'unit_price'));
    END LOOP;
    RETURN 'created';
END
$$;

-- The console finds an order by its number or its customer's address.
CREATE INDEX original_order_number_upper ON original_order (upper(order_number));
CREATE INDEX original_order_customer ON original_order (customer_id);

GRANT EXECUTE ON FUNCTION order_import(jsonb) TO rma_app;
